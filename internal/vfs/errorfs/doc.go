// Package errorfs wraps a vfs.FS and injects errors into its operations, so
// that tests can prove the engine survives every I/O failure: it either
// reports the error or recovers, and never loses or corrupts acknowledged
// data.
//
// # Usage
//
// Every operation of the wrapped FS and of the files it opens asks an
// Injector first; a non-nil answer is returned instead of performing the
// operation (Close still closes the underlying file). The classic loop fails
// operation i for i = 0, 1, 2, ... until a run completes with nothing
// injected:
//
//	for i := 0; ; i++ {
//		inj := errorfs.OnIndex(i)
//		fs := errorfs.Wrap(vfs.NewMem(), inj)
//		runWorkload(t, fs) // must fail cleanly or succeed, never corrupt
//		if inj.Count() <= inj.Index() {
//			break // operation i was never reached: every failure point is covered
//		}
//	}
//
// A Toggle fails chosen operations while switched on, for "the disk is
// full, then space comes back" tests:
//
//	full := errorfs.NewToggle(syscall.ENOSPC, errorfs.WriteOps)
//	fs := errorfs.Wrap(vfs.NewMem(), full)
//	full.On()  ... writes fail with ENOSPC ...
//	full.Off() ... the engine resumes or reports its sticky error ...
//
// # Errors
//
// Injected errors are *Error values naming the operation and the path
// ("errorfs: injected error: write db/000012.log"). errors.Is(err,
// ErrInjected) holds for all of them, and errors.Is also matches the cause a
// Toggle was given, such as syscall.ENOSPC.
//
// # Concurrency
//
// The FS, its files and the injectors of this package are safe for
// concurrent use to the same extent as the wrapped FS. With concurrent
// operations, which operation gets index i depends on scheduling.
package errorfs
