package server

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/strata-db/strata/lsm"
)

// errorReply maps an error from the keyspace or the engine to its reply.
// Codec errors carry Redis's exact text; engine errors are prefixed.
func errorReply(err error) string {
	switch {
	case errors.Is(err, lsm.ErrReadOnly):
		return fmt.Sprintf(errReadOnlyEngine, strings.ReplaceAll(err.Error(), "\n", " "))
	case errors.Is(err, lsm.ErrClosed):
		return "ERR server is shutting down"
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if i := strings.IndexByte(msg, ' '); i > 0 && msg[:i] == strings.ToUpper(msg[:i]) {
		return msg // already has an error code (ERR, WRONGTYPE, ...)
	}
	return "ERR " + msg
}

// parseInt parses a Redis integer argument.
func parseInt(b []byte) (int64, bool) {
	v, err := strconv.ParseInt(string(b), 10, 64)
	return v, err == nil
}

// expireArg converts an EX/PX/EXAT/PXAT argument to an absolute Unix time
// in milliseconds; ok is false (with the reply written) when invalid.
func expireArg(c *client, cmdName, unit string, arg []byte) (int64, bool) {
	v, ok := parseInt(arg)
	if !ok {
		c.w.Error(errNotInteger)
		return 0, false
	}
	if v <= 0 {
		c.w.Error(fmt.Sprintf(errInvalidExpire, cmdName))
		return 0, false
	}
	now := time.Now().UnixMilli()
	var at int64
	switch unit {
	case "ex":
		if v > (math.MaxInt64-now)/1000 {
			c.w.Error(fmt.Sprintf(errInvalidExpire, cmdName))
			return 0, false
		}
		at = now + v*1000
	case "px":
		if v > math.MaxInt64-now {
			c.w.Error(fmt.Sprintf(errInvalidExpire, cmdName))
			return 0, false
		}
		at = now + v
	case "exat":
		if v > math.MaxInt64/1000 {
			c.w.Error(fmt.Sprintf(errInvalidExpire, cmdName))
			return 0, false
		}
		at = v * 1000
	case "pxat":
		at = v
	}
	return at, true
}
