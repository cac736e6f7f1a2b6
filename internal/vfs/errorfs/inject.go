package errorfs

import (
	"errors"
	"sync"
	"sync/atomic"
)

// ErrInjected is the class of every error this package injects. Test with
// errors.Is.
var ErrInjected = errors.New("errorfs: injected error")

// Error is an injected error: the operation, its path and an optional cause
// (such as syscall.ENOSPC) that errors.Is and errors.As also see.
type Error struct {
	Op   Op
	Path string
	Err  error // optional cause
}

// NewError returns an injected error for op on path with an optional cause.
func NewError(op Op, path string, cause error) *Error {
	return &Error{Op: op, Path: path, Err: cause}
}

// Error formats as "errorfs: injected error: write db/000012.log", followed
// by ": cause" when there is one.
func (e *Error) Error() string {
	s := ErrInjected.Error() + ": " + e.Op.String() + " " + e.Path
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes every injected error match ErrInjected.
func (e *Error) Is(target error) bool { return target == ErrInjected }

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Injector decides whether an operation fails. MaybeError is called before
// every operation with the operation's path; a non-nil result is returned to
// the caller instead of the operation's own result.
type Injector interface {
	MaybeError(op Op, path string) error
}

// InjectorFunc adapts a function to the Injector interface.
type InjectorFunc func(op Op, path string) error

// MaybeError implements Injector.
func (f InjectorFunc) MaybeError(op Op, path string) error { return f(op, path) }

// InjectIndex fails the operation with a given index, counting from 0 over
// the operations its filter selects, exactly once. Create it with OnIndex.
type InjectIndex struct {
	index  int
	filter Filter // nil selects every operation
	count  atomic.Int64

	mu       sync.Mutex
	injected *Error // the error returned, once it fired; guarded by mu
}

// OnIndex returns an injector that fails the i-th operation (from 0) with
// an error wrapping ErrInjected. A negative i never fires.
func OnIndex(i int) *InjectIndex { return &InjectIndex{index: i} }

// WithFilter restricts the injector to the operations f selects, for
// example WriteOps; it must be called before the injector is used. It
// returns the injector for chaining.
func (ii *InjectIndex) WithFilter(f Filter) *InjectIndex {
	ii.filter = f
	return ii
}

// MaybeError implements Injector.
func (ii *InjectIndex) MaybeError(op Op, path string) error {
	if ii.filter != nil && !ii.filter(op, path) {
		return nil
	}
	if n := ii.count.Add(1) - 1; n != int64(ii.index) {
		return nil
	}
	err := NewError(op, path, nil)
	ii.mu.Lock()
	ii.injected = err
	ii.mu.Unlock()
	return err
}

// Index returns the index of the operation the injector fails.
func (ii *InjectIndex) Index() int { return ii.index }

// Count returns how many selected operations the injector has seen. If
// Count() <= Index() after a run, the run never reached the failing
// operation.
func (ii *InjectIndex) Count() int { return int(ii.count.Load()) }

// Injected returns the error the injector returned, or nil if it has not
// fired.
func (ii *InjectIndex) Injected() *Error {
	ii.mu.Lock()
	defer ii.mu.Unlock()
	return ii.injected
}

// Toggle fails the operations its filter selects while it is on. The zero
// value is not usable; create it with NewToggle. It starts off.
type Toggle struct {
	cause    error
	filter   Filter
	on       atomic.Bool
	injected atomic.Int64
}

// NewToggle returns a Toggle, initially off, that fails the operations f
// selects (every operation if f is nil) with an *Error whose cause is
// cause (which may be nil, e.g. syscall.ENOSPC or syscall.EIO).
func NewToggle(cause error, f Filter) *Toggle {
	return &Toggle{cause: cause, filter: f}
}

// On starts failing operations.
func (t *Toggle) On() { t.on.Store(true) }

// Off stops failing operations.
func (t *Toggle) Off() { t.on.Store(false) }

// IsOn reports whether the toggle fails operations now.
func (t *Toggle) IsOn() bool { return t.on.Load() }

// Injected returns how many errors the toggle has injected.
func (t *Toggle) Injected() int { return int(t.injected.Load()) }

// MaybeError implements Injector.
func (t *Toggle) MaybeError(op Op, path string) error {
	if !t.on.Load() || (t.filter != nil && !t.filter(op, path)) {
		return nil
	}
	t.injected.Add(1)
	return NewError(op, path, t.cause)
}
