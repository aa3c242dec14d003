package idempotency

import "errors"

// Errors returned by New and the stores.
var (
	// ErrOption reports an invalid option passed to New.
	ErrOption = errors.New("idempotency: invalid option")
)

// Problem codes of the answers the Keeper writes itself.
const (
	CodeBadKey      = "idempotency.bad_key"
	CodeKeyReused   = "idempotency.key_reused"
	CodeInProgress  = "idempotency.in_progress"
	CodeUnavailable = "idempotency.unavailable"
	CodeTooLarge    = "idempotency.too_large"
)
