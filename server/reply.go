package server

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/lsm"
)

// errorReply maps an error from the keyspace or the engine to its reply.
// Codec errors carry Redis's exact text; engine errors are prefixed.
func errorReply(err error) string {
	switch {
	case errors.Is(err, lsm.ErrReadOnly):
		// The reply says read-only once, then names the cause.
		cause := strings.TrimPrefix(err.Error(), lsm.ErrReadOnly.Error()+": ")
		return fmt.Sprintf(errReadOnlyEngine, strings.ReplaceAll(cause, "\n", " "))
	case errors.Is(err, lsm.ErrClosed):
		return "ERR server is shutting down"
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if i := strings.IndexByte(msg, ' '); i > 0 && msg[:i] == strings.ToUpper(msg[:i]) {
		return msg // already has an error code (ERR, WRONGTYPE, ...)
	}
	return "ERR " + msg
}

// parseInt parses a Redis integer argument as string2ll does (no '+', no
// leading zeros or spaces, "-0" refused).
func parseInt(b []byte) (int64, bool) { return codec.ParseInt(b) }

// expireArg converts an EX/PX/EXAT/PXAT argument to an absolute Unix time
// in milliseconds, as getExpireMillisecondsOrReply does; when it is invalid
// it returns the error reply to send instead.
func expireArg(cmdName, unit string, arg []byte) (int64, string) {
	v, ok := parseInt(arg)
	if !ok {
		return 0, errNotInteger
	}
	invalid := fmt.Sprintf(errInvalidExpire, cmdName)
	if v <= 0 {
		return 0, invalid
	}
	now := time.Now().UnixMilli()
	var at int64
	switch unit {
	case "ex":
		if v > (math.MaxInt64-now)/1000 {
			return 0, invalid
		}
		at = now + v*1000
	case "px":
		if v > math.MaxInt64-now {
			return 0, invalid
		}
		at = now + v
	case "exat":
		if v > math.MaxInt64/1000 {
			return 0, invalid
		}
		at = v * 1000
	case "pxat":
		at = v
	}
	return at, ""
}
