package server

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Output buffer limits: the client-output-buffer-limit setting, in Redis's
// syntax and with its meaning. A client's output that the connection has
// not taken yet counts against the limits of its class:
//
//   - hard: the client is disconnected as soon as its pending output
//     reaches this many bytes;
//   - soft and seconds: it is disconnected when its pending output has
//     stayed at or above soft bytes for longer than that many seconds.
//
// 0 disables a limit. Subscribed clients are in the pubsub class, every
// other client in the normal class; the slave class is kept for
// compatibility (there is no replication).

// clientClass selects a client's output buffer limits.
type clientClass int

const (
	classNormal clientClass = iota
	classReplica
	classPubSub
	numClientClasses
)

// clientClassNames are the names CONFIG GET prints, in its order.
var clientClassNames = [numClientClasses]string{"normal", "slave", "pubsub"}

// outputLimit is one class's limits.
type outputLimit struct {
	hard, soft  int64 // bytes; 0 = no limit
	softSeconds int64
}

// enabled reports whether the class has any limit.
func (l outputLimit) enabled() bool { return l.hard > 0 || l.soft > 0 }

// exceeded reports whether pending bytes break the limit. softSince is when
// the soft limit was first reached (zero when it is not reached); it is
// updated as Redis's checkClientOutputBufferLimits does.
func (l outputLimit) exceeded(pending int64, softSince *time.Time) bool {
	if l.hard > 0 && pending >= l.hard {
		return true
	}
	if l.soft == 0 || pending < l.soft {
		*softSince = time.Time{}
		return false
	}
	now := time.Now()
	if softSince.IsZero() {
		*softSince = now
		return false
	}
	return now.Sub(*softSince) > time.Duration(l.softSeconds)*time.Second
}

// outputLimits holds the limits of every class.
type outputLimits [numClientClasses]outputLimit

const defaultOutputLimits = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

// The reasons CONFIG SET gives for a bad value, worded as Redis words them.
var (
	errOBLArgs   = errors.New("Wrong number of arguments in buffer limit configuration.")
	errOBLClass  = errors.New("Invalid client class specified in buffer limit configuration.")
	errOBLNumber = errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
)

// clientClassByName resolves a class name as getClientTypeByName does
// (case-insensitive, replica an alias of slave; master is refused).
func clientClassByName(name string) (clientClass, bool) {
	switch strings.ToLower(name) {
	case "normal":
		return classNormal, true
	case "slave", "replica":
		return classReplica, true
	case "pubsub":
		return classPubSub, true
	}
	return 0, false
}

// mergeOutputLimits applies value, "<class> <hard> <soft> <seconds> ...",
// to the canonical setting old and returns the new canonical setting.
// Every group is checked before any is applied, as Redis does: classes
// not named keep their limits.
func mergeOutputLimits(old, value string) (string, error) {
	limits, err := parseOutputLimits(old)
	if err != nil {
		limits, _ = parseOutputLimits(defaultOutputLimits)
	}
	args := strings.Fields(value)
	if len(args)%4 != 0 {
		return "", errOBLArgs
	}
	for i, a := range args {
		var ok bool
		switch i % 4 {
		case 0:
			_, ok = clientClassByName(a)
			if !ok {
				return "", errOBLClass
			}
		case 3:
			_, ok = parseSeconds(a)
		default:
			_, ok = parseMemory(a)
		}
		if !ok {
			return "", errOBLNumber
		}
	}
	for i := 0; i < len(args); i += 4 {
		class, _ := clientClassByName(args[i])
		hard, _ := parseMemory(args[i+1])
		soft, _ := parseMemory(args[i+2])
		secs, _ := parseSeconds(args[i+3])
		limits[class] = outputLimit{hard: hard, soft: soft, softSeconds: secs}
	}
	return limits.String(), nil
}

// parseSeconds parses soft_seconds: a plain integer, not negative.
func parseSeconds(s string) (int64, bool) {
	v, ok := parseInt([]byte(s))
	return v, ok && v >= 0
}

// parseOutputLimits parses a canonical setting (every class, in bytes).
func parseOutputLimits(s string) (outputLimits, error) {
	var l outputLimits
	args := strings.Fields(s)
	if len(args)%4 != 0 {
		return l, errOBLArgs
	}
	for i := 0; i < len(args); i += 4 {
		class, ok := clientClassByName(args[i])
		if !ok {
			return l, errOBLClass
		}
		var v [3]int64
		for j := range v {
			n, err := strconv.ParseInt(args[i+1+j], 10, 64)
			if err != nil || n < 0 {
				return l, errOBLNumber
			}
			v[j] = n
		}
		l[class] = outputLimit{hard: v[0], soft: v[1], softSeconds: v[2]}
	}
	return l, nil
}

// String is the canonical setting CONFIG GET and REWRITE show.
func (l outputLimits) String() string {
	var b strings.Builder
	for class, lim := range l {
		if class > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(clientClassNames[class])
		for _, v := range []int64{lim.hard, lim.soft, lim.softSeconds} {
			b.WriteByte(' ')
			b.WriteString(strconv.FormatInt(v, 10))
		}
	}
	return b.String()
}

// outputLimits returns the limits in force.
func (s *Server) outputLimits() *outputLimits { return s.obLimits.Load() }

// loadOutputLimits reads client-output-buffer-limit into the copy the
// output path uses (it never parses the setting itself).
func (s *Server) loadOutputLimits() {
	l, err := parseOutputLimits(s.cfg.Get("client-output-buffer-limit"))
	if err != nil {
		l, _ = parseOutputLimits(defaultOutputLimits)
	}
	s.obLimits.Store(&l)
}
