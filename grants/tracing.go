package grants

import (
	"errors"

	"go.opentelemetry.io/otel/attribute"
)

// Span attributes of Get.
const (
	attrName     = attribute.Key("apicrud.grants.name")
	attrValue    = attribute.Key("apicrud.grants.value")
	attrOverride = attribute.Key("apicrud.grants.override")
)

// errCode is the problem code of a grants error.
func errCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnknownGrant):
		return "grants.unknown"
	case errors.Is(err, ErrBadUID), errors.Is(err, ErrBadName):
		return "grants.invalid"
	default:
		return "grants.unavailable"
	}
}
