package wal

import (
	"errors"
	"fmt"

	"github.com/strata-db/strata/internal/base"
)

// ErrClosed is returned by Append, Sync and Close on a closed Writer.
var ErrClosed = errors.New("wal: writer closed")

// corruptionAt returns the error of the ErrCorruption class that a Reader
// reports for damage at offset off of log logNum.
func corruptionAt(logNum base.FileNum, off int64, what string) error {
	return base.CorruptionErrorf("wal: log %s: %s at offset %d", logNum, what, off)
}

// errWrap adds the wal prefix to an I/O error, keeping it matchable with
// errors.Is.
func errWrap(op string, err error) error {
	return fmt.Errorf("wal: %s: %w", op, err)
}

// errShortWrite reports a write call that wrote less than asked without an
// error.
var errShortWrite = errors.New("wal: short write")
