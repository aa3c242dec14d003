package ratelimit

import (
	"errors"

	"go.opentelemetry.io/otel/attribute"
)

// Span attributes of Allow.
const (
	attrService    = attribute.Key("apicrud.ratelimit.service")
	attrKeyKind    = attribute.Key("apicrud.ratelimit.key")
	attrN          = attribute.Key("apicrud.ratelimit.n")
	attrLimit      = attribute.Key("apicrud.ratelimit.limit")
	attrRemaining  = attribute.Key("apicrud.ratelimit.remaining")
	attrRetryAfter = attribute.Key("apicrud.ratelimit.retry_after")
	// attrLocal is set with WithReservation: whether the check was served
	// from the Limiter's reservation, without a store round trip.
	attrLocal = attribute.Key("apicrud.ratelimit.local")
)

// keyKind says what key is limited by, without saying who: "uid" or "ip".
func keyKind(k Key) string {
	if k.UID != "" {
		return "uid"
	}
	return "ip"
}

// errCode is the problem code of an Allow error: "ratelimit.invalid" for a
// request that can never be checked, "ratelimit.unavailable" (the code
// the middleware answers) when the store or the LimitSource failed.
func errCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrInvalidKey), errors.Is(err, ErrInvalidN), errors.Is(err, ErrInvalidLimit):
		return "ratelimit.invalid"
	default:
		return "ratelimit.unavailable"
	}
}
