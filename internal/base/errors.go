package base

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned by point lookups when the key does not exist.
var ErrNotFound = errors.New("strata: not found")

// ErrCorruption is the class of all corruption errors: checksum mismatches,
// malformed records, impossible values read from disk. Test with errors.Is.
var ErrCorruption = errors.New("strata: corruption")

type corruptionError struct{ msg string }

func (e *corruptionError) Error() string { return "strata: corruption: " + e.msg }
func (e *corruptionError) Is(target error) bool {
	return target == ErrCorruption
}

// CorruptionErrorf returns an error in the ErrCorruption class.
func CorruptionErrorf(format string, args ...any) error {
	return &corruptionError{msg: fmt.Sprintf(format, args...)}
}

// MarkCorruption wraps err so that errors.Is(err, ErrCorruption) holds while
// errors.Is still matches err's own chain.
func MarkCorruption(err error) error {
	if err == nil || errors.Is(err, ErrCorruption) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorruption, err)
}
