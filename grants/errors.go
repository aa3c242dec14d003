package grants

import (
	"errors"
	"fmt"
)

// Errors returned by this package. Match them with errors.Is.
var (
	// ErrUnknownGrant reports a grant name that has no default. Every grant
	// must be declared in the defaults: an unknown name is a programming or
	// configuration error, never a silent zero that blocks or allows
	// everything.
	ErrUnknownGrant = errors.New("grants: unknown grant")
	// ErrNotInteger reports a grant whose effective value is not an integer
	// where an integer is needed (Limit, RateLimit).
	ErrNotInteger = errors.New("grants: value is not an integer")
	// ErrBadName reports a grant name that is not 1 to 64 characters of
	// [a-z0-9_] starting with a letter.
	ErrBadName = errors.New("grants: bad grant name")
	// ErrBadValue reports a grant value that is not 1 to 64 characters of
	// [A-Za-z0-9@_.+-].
	ErrBadValue = errors.New("grants: bad grant value")
	// ErrBadUID reports an empty, overlong (over 128 bytes) or
	// non-printable account id.
	ErrBadUID = errors.New("grants: bad uid")
	// ErrBadID reports a hybrid id that is not "<uid>:<name>".
	ErrBadID = errors.New("grants: bad grant id")
	// ErrConfig reports an invalid argument to New or to an option, or
	// defaults that cannot be loaded.
	ErrConfig = errors.New("grants: bad configuration")
)

// UnknownGrantError is the error for a grant name that has no default. It
// matches ErrUnknownGrant with errors.Is.
type UnknownGrantError struct {
	Name string
}

func (e *UnknownGrantError) Error() string {
	return fmt.Sprintf("grants: unknown grant %q (not among the defaults)", e.Name)
}

// Is reports whether target is ErrUnknownGrant.
func (e *UnknownGrantError) Is(target error) bool { return target == ErrUnknownGrant }
