package mutex

import "errors"

// Errors returned by this package.
var (
	// ErrNotObtained is returned by TryAcquire when the lock is held by
	// someone else, and by Acquire when it stayed held for the whole wait
	// (joined with the context's error when the context ended first).
	ErrNotObtained = errors.New("mutex: not obtained")
	// ErrNotHeld is returned by Lock.Release and Lock.Extend when the lock
	// is no longer held by this Lock: it expired (and perhaps another holder
	// took it), or it was released already. It is also the cause
	// (context.Cause) of a watchdog context whose lock was lost.
	ErrNotHeld = errors.New("mutex: not held")
	// ErrInvalidName is returned for an empty lock name or one longer than
	// MaxNameLength bytes.
	ErrInvalidName = errors.New("mutex: invalid lock name")
	// ErrInvalidTTL is returned for a TTL shorter than a millisecond.
	ErrInvalidTTL = errors.New("mutex: invalid ttl")
	// ErrOption is returned by New for an invalid option.
	ErrOption = errors.New("mutex: invalid option")
)
