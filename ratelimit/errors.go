package ratelimit

import "errors"

// Errors returned by this package. A denied request is not an error: it is a
// Result whose Allowed is 0.
var (
	// ErrInvalidLimit is returned by Limit.Validate, New and Allow for a
	// Limit that cannot be enforced (see Limit), and by Allow when the
	// LimitSource returns a negative number of requests.
	ErrInvalidLimit = errors.New("ratelimit: invalid limit")
	// ErrInvalidKey is returned by Allow and Reset for a Key with neither a
	// UID nor a valid IP.
	ErrInvalidKey = errors.New("ratelimit: invalid key")
	// ErrInvalidN is returned by Allow when n is negative or larger than the
	// burst of the key's limit: such a request could never be allowed.
	ErrInvalidN = errors.New("ratelimit: n out of range")
	// ErrOption is returned by New for an invalid option.
	ErrOption = errors.New("ratelimit: invalid option")
)
