package passkey

import "errors"

// Errors of the passkey ceremonies and stores. The verification errors
// wrap the cause, whose text never reaches an HTTP client (WriteError).
var (
	// ErrInvalidPasskey reports a registration or login response that
	// does not verify: malformed, signed by another key, made for another
	// origin or relying party, answering another challenge, or from a
	// passkey that is not the account's.
	ErrInvalidPasskey = errors.New("passkey: invalid passkey response")
	// ErrCounter reports a login whose authenticator's signature counter
	// did not advance past the stored one: the passkey may have been
	// cloned, or the response replayed. It also matches
	// ErrInvalidPasskey.
	ErrCounter = errors.New("passkey: signature counter did not advance")
	// ErrCeremony reports a ceremony state that is malformed, forged,
	// expired, already used, or made for another ceremony or account:
	// every challenge works once, within its time to live.
	ErrCeremony = errors.New("passkey: ceremony expired or already used")
	// ErrExists reports a passkey whose credential id is already stored
	// (Store.Add, FinishRegistration).
	ErrExists = errors.New("passkey: credential already registered")
	// ErrNotFound reports a passkey id that the account does not have.
	ErrNotFound = errors.New("passkey: not found")
	// ErrInvalidName reports a passkey name that is empty, longer than
	// MaxNameLen bytes, not UTF-8 or holding control characters.
	ErrInvalidName = errors.New("passkey: invalid name")
	// ErrTooMany reports a registration beyond the most passkeys an
	// account may have (WithMaxPasskeys).
	ErrTooMany = errors.New("passkey: too many passkeys")
	// ErrNoPasskey reports a second-factor ceremony for an account
	// without passkeys.
	ErrNoPasskey = errors.New("passkey: no passkey enrolled")
	// ErrOption reports an invalid argument or option given to New.
	ErrOption = errors.New("passkey: invalid option")
)
