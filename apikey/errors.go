package apikey

import (
	"errors"
	"strconv"
)

// Verification errors. Verify returns ErrInvalid both for an unknown
// prefix and for a wrong secret, so that a caller learns nothing about
// which prefixes exist; ErrExpired and ErrRevoked are only returned to a
// caller who presented the right secret.
var (
	// ErrMalformed is returned by Parse and Verify for a string that is
	// not "prefix.secret" in the key alphabet and lengths. Its text never
	// quotes the input.
	ErrMalformed = errors.New("apikey: malformed API key")
	// ErrInvalid is returned by Verify for an unknown key or a wrong
	// secret.
	ErrInvalid = errors.New("apikey: invalid API key")
	// ErrExpired is returned by Verify for a key past its expiry.
	ErrExpired = errors.New("apikey: API key expired")
	// ErrRevoked is returned by Verify for a key whose status is not
	// active.
	ErrRevoked = errors.New("apikey: API key revoked")
	// ErrOwner is returned by Verify for a key whose owner the OwnerSource
	// refused (disabled account, unknown uid); it wraps the source's error.
	ErrOwner = errors.New("apikey: API key owner refused")
	// ErrUnavailable is returned (wrapped) by Verify when it cannot decide
	// now: the Store failed to look the key up (other than ErrNotFound),
	// or the OwnerSource returned an error wrapping ErrUnavailable. The
	// key is not known to be bad, so a caller should answer "try again
	// later" (503), not "unauthorized", and must not count it as a
	// guess. Its method Unavailable reports true, which is how package
	// session recognizes it without importing this package.
	ErrUnavailable error = unavailableError{}
)

// unavailableError is the type of ErrUnavailable.
type unavailableError struct{}

func (unavailableError) Error() string { return "apikey: unavailable" }

// Unavailable reports true: the verification could not be decided now.
func (unavailableError) Unavailable() bool { return true }

// Store and management errors.
var (
	// ErrNotFound is returned by a Store, and by Manager.Get, Revoke and
	// Delete, for an absent prefix.
	ErrNotFound = errors.New("apikey: API key not found")
	// ErrExists is returned by Store.Create and Manager.Create for a
	// prefix, or an (owner, name) pair, that is already stored.
	ErrExists = errors.New("apikey: API key exists")
	// ErrInvalidData is returned by Manager.Create for an invalid owner,
	// name, scope or expiry.
	ErrInvalidData = errors.New("apikey: invalid API key data")
	// ErrClosed is returned by the methods of a closed Manager or
	// MemoryStore.
	ErrClosed = errors.New("apikey: closed")
	// ErrOption is returned by New (and apikey/sqlstore.New) for an
	// invalid option; the message names the option.
	ErrOption = errors.New("apikey: invalid option")
)

// quote quotes s for an error message, shortened to 64 bytes so that
// hostile input cannot blow up a log line.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.Quote(s)
}
