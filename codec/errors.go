package codec

import (
	"errors"

	"github.com/strata-db/strata/internal/base"
)

// Errors returned by the semantics functions. Where Redis has a fixed error
// reply, the error's text is exactly that reply without the leading '-'
// (error code included), so the server writes err.Error() as is. All wire
// texts are in this one block.
var (
	// ErrWrongType: the key holds another type than the command needs.
	ErrWrongType = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")
	// ErrNotInteger: a stored value is not a 64-bit integer (INCR family).
	ErrNotInteger = errors.New("ERR value is not an integer or out of range")
	// ErrNotFloat: a stored value or increment is not a valid float (INCRBYFLOAT).
	ErrNotFloat = errors.New("ERR value is not a valid float")
	// ErrOverflow: INCRBY/DECRBY would leave the int64 range.
	ErrOverflow = errors.New("ERR increment or decrement would overflow")
	// ErrDecrementOverflow: DECRBY by math.MinInt64, which cannot be negated.
	ErrDecrementOverflow = errors.New("ERR decrement would overflow")
	// ErrNaNOrInf: INCRBYFLOAT would produce NaN or an infinity.
	ErrNaNOrInf = errors.New("ERR increment would produce NaN or Infinity")
	// ErrOffsetOutOfRange: SETRANGE with a negative offset.
	ErrOffsetOutOfRange = errors.New("ERR offset is out of range")
	// ErrStringTooLong: APPEND or SETRANGE would grow a string past the
	// maximum string length (Options.MaxStringLen, proto-max-bulk-len).
	ErrStringTooLong = errors.New("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
	// ErrNoSuchKey: RENAME of a missing key.
	ErrNoSuchKey = errors.New("ERR no such key")
	// ErrSameObject: COPY or MOVE onto the very same key in the same db.
	ErrSameObject = errors.New("ERR source and destination objects are the same")
	// ErrDBIndexOutOfRange: a database number outside [0, MaxDBs).
	ErrDBIndexOutOfRange = errors.New("ERR DB index is out of range")
	// ErrRandomCountTooLarge: a negative count beyond MaxRandomCount.
	ErrRandomCountTooLarge = errors.New("ERR value is out of range, a negative count must be at least -16777216")
	// ErrLCSNotString: LCS on a key that is not a string.
	ErrLCSNotString = errors.New("ERR The specified keys must contain string values")
	// ErrLCSTooBig: the LCS table would exceed LCSOptions.MaxTableBytes.
	ErrLCSTooBig = errors.New("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
)

// ErrCorruption is the class of corruption errors (malformed keys or
// metadata read from the store). Test with errors.Is.
var ErrCorruption = base.ErrCorruption
