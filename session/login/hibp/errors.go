package hibp

import "errors"

// Errors of a check that could not be made. Either means "unknown", never
// "not breached": the caller decides whether to accept the password
// anyway (login.BreachCheck.FailClosed).
var (
	// ErrUnavailable reports that the range API did not answer in time or
	// answered with another status than 200 (a 429, a 5xx, a redirect).
	// When the context ended, the error also wraps the context's error.
	ErrUnavailable = errors.New("hibp: range API unavailable")
	// ErrBadResponse reports an answer that is not a range answer: a line
	// that is not SUFFIX:COUNT (35 hexadecimal digits, a colon, a decimal
	// count), or a body larger than the limit (WithMaxBody).
	ErrBadResponse = errors.New("hibp: malformed range answer")
)

// ErrOption reports an invalid option given to New.
var ErrOption = errors.New("hibp: invalid option")
