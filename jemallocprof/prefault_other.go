//go:build !linux

package jemallocprof

import "errors"

// Prefault is not supported off Linux: writes fault pages in as usual.
func Prefault(b []byte) error { return errors.ErrUnsupported }
