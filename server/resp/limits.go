package resp

import (
	"fmt"
	"math"
)

// Defaults of Limits, the values Redis 7 uses out of the box.
const (
	// DefaultMaxBulkLen is proto-max-bulk-len: 512 MiB.
	DefaultMaxBulkLen = 512 << 20
	// DefaultMaxMultibulkLen is the largest *N count: INT_MAX in Redis 7
	// (Redis 6.2 and older used 1024*1024).
	DefaultMaxMultibulkLen = math.MaxInt32
	// DefaultMaxInlineLen is PROTO_INLINE_MAX_SIZE: 64 KiB. It bounds inline
	// requests and the *N and $N header lines of multibulk requests.
	DefaultMaxInlineLen = 64 << 10
	// DefaultQueryBufferLimit is client-query-buffer-limit: 1 GiB.
	DefaultQueryBufferLimit = 1 << 30

	// UnauthMaxMultibulkLen and UnauthMaxBulkLen are the fixed limits Redis
	// puts on clients that still have to authenticate (see
	// Reader.SetAuthRequired): at most 10 arguments of at most 16 KiB each.
	UnauthMaxMultibulkLen = 10
	UnauthMaxBulkLen      = 16384
)

// Limits bound what a Reader accepts from one client. The zero value of a
// field means its default.
type Limits struct {
	// MaxBulkLen is the largest accepted $N (proto-max-bulk-len). Larger is
	// "ERR Protocol error: invalid bulk length".
	MaxBulkLen int64
	// MaxMultibulkLen is the largest accepted *N. Larger is
	// "ERR Protocol error: invalid multibulk length".
	MaxMultibulkLen int64
	// MaxInlineLen is the longest inline request line and the longest *N or
	// $N header line, in bytes before the line's terminator. Longer is a
	// "too big inline request", "too big mbulk count string" or "too big
	// bulk count string" error.
	MaxInlineLen int
	// QueryBufferLimit is the most input bytes one command may take
	// (client-query-buffer-limit). Longer is ErrQueryBufferLimit.
	QueryBufferLimit int64
}

// DefaultLimits returns the limits Redis 7 uses by default.
func DefaultLimits() Limits {
	var l Limits
	l.EnsureDefaults()
	return l
}

// EnsureDefaults replaces zero fields with their defaults.
func (l *Limits) EnsureDefaults() {
	if l.MaxBulkLen == 0 {
		l.MaxBulkLen = DefaultMaxBulkLen
	}
	if l.MaxMultibulkLen == 0 {
		l.MaxMultibulkLen = DefaultMaxMultibulkLen
	}
	if l.MaxInlineLen == 0 {
		l.MaxInlineLen = DefaultMaxInlineLen
	}
	if l.QueryBufferLimit == 0 {
		l.QueryBufferLimit = DefaultQueryBufferLimit
	}
}

// Validate reports a negative limit. Call it after EnsureDefaults.
func (l Limits) Validate() error {
	switch {
	case l.MaxBulkLen < 0:
		return fmt.Errorf("resp: MaxBulkLen %d is negative", l.MaxBulkLen)
	case l.MaxMultibulkLen < 0:
		return fmt.Errorf("resp: MaxMultibulkLen %d is negative", l.MaxMultibulkLen)
	case l.MaxInlineLen < 0:
		return fmt.Errorf("resp: MaxInlineLen %d is negative", l.MaxInlineLen)
	case l.QueryBufferLimit < 0:
		return fmt.Errorf("resp: QueryBufferLimit %d is negative", l.QueryBufferLimit)
	}
	return nil
}

// String formats the limits with their Redis names.
func (l Limits) String() string {
	return fmt.Sprintf("proto-max-bulk-len=%d max-multibulk-len=%d max-inline-len=%d client-query-buffer-limit=%d",
		l.MaxBulkLen, l.MaxMultibulkLen, l.MaxInlineLen, l.QueryBufferLimit)
}
