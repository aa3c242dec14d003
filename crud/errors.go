package crud

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors returned by the Go API (and mapped to HTTP statuses by the
// handlers). Test them with errors.Is.
var (
	// ErrConfig reports an invalid NewResource, NewTrashcan or NewAPI
	// argument or option.
	ErrConfig = errors.New("crud: invalid configuration")
	// ErrInvalid reports bad input; the error is (or wraps) a *FieldError
	// naming the field at fault. HTTP 400.
	ErrInvalid = errors.New("crud: invalid input")
	// ErrUnauthenticated reports an anonymous caller asking for something
	// that needs an identity. HTTP 401.
	ErrUnauthenticated = errors.New("crud: authentication required")
	// ErrForbidden reports a caller who may read a record (or the resource)
	// but not perform the operation. HTTP 403.
	ErrForbidden = errors.New("crud: access denied")
	// ErrNotFound reports a record that does not exist or that the caller
	// may not read; the two cases are deliberately indistinguishable. HTTP 404.
	ErrNotFound = errors.New("crud: not found")
	// ErrConflict reports a unique or foreign-key constraint violation, or
	// a record that kept changing under a write. HTTP 409.
	ErrConflict = errors.New("crud: conflict")
	// ErrPreconditionFailed reports an If-Match ETag that no longer matches
	// the record's version. HTTP 412.
	ErrPreconditionFailed = errors.New("crud: precondition failed")
	// ErrLimitExceeded reports that the owner already has as many records
	// as their grant allows. HTTP 403.
	ErrLimitExceeded = errors.New("crud: limit exceeded")
	// ErrUnavailable reports that the database could not be reached (a
	// refused, reset or timed-out connection, a server shutting down). HTTP
	// 503 with Retry-After; the outage is logged once when it starts and once
	// when it ends, not per request.
	ErrUnavailable = errors.New("crud: database unavailable")
	// ErrSchema reports that a resource's table, or a column of its record
	// type, does not exist in the database: returned by [Resource.Check],
	// and wrapped in the internal error of any operation that meets it (HTTP
	// 500, logged with the table's name).
	ErrSchema = errors.New("crud: table or column missing")
)

// Stable problem codes (message ids) of the errors crud reports over HTTP.
const (
	CodeInvalidJSON      = "crud.invalid_json"
	CodeUnknownField     = "crud.unknown_field"
	CodeReadOnly         = "crud.read_only"
	CodeInvalidValue     = "crud.invalid_value"
	CodeRequired         = "crud.required"
	CodeBadFilter        = "crud.bad_filter"
	CodeBadSort          = "crud.bad_sort"
	CodeBadLimit         = "crud.bad_limit"
	CodeBadOffset        = "crud.bad_offset"
	CodeBadCursor        = "crud.bad_cursor"
	CodeBadID            = "crud.bad_id"
	CodeUnauthenticated  = "crud.unauthenticated"
	CodeForbidden        = "crud.forbidden"
	CodeNotFound         = "crud.not_found"
	CodeConflict         = "crud.conflict"
	CodePrecondition     = "crud.precondition_failed"
	CodeLimitExceeded    = "crud.limit_exceeded"
	CodeTooLarge         = "crud.too_large"
	CodeUnsupportedMedia = "crud.unsupported_media_type"
	CodeInternal         = "crud.internal"
	CodeUnavailable      = "crud.unavailable"
)

// FieldError is bad input in one named field (a body field, a filter key,
// or a query parameter such as "sort"). It wraps ErrInvalid.
type FieldError struct {
	// Field is the name of the field at fault as the client sent it
	// (JSON field name, "filter.<key>", "sort", "limit", ...).
	Field string
	// Code is the stable problem code, e.g. CodeUnknownField.
	Code string
	// Reason is a short English explanation that never contains input
	// values or database text.
	Reason string
}

// Error returns "crud: <field>: <reason>".
func (e *FieldError) Error() string {
	return fmt.Sprintf("crud: %s: %s", e.Field, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// ScopeError reports an authenticated caller who lacks a scope the
// operation requires (WithScopes). It unwraps to ErrForbidden; the handler
// answers 403 with "WWW-Authenticate: Bearer error="insufficient_scope",
// scope="…"" naming the scopes required.
type ScopeError struct {
	Scopes []string
}

// Error names the missing scopes.
func (e *ScopeError) Error() string {
	return "crud: insufficient scope, need " + strings.Join(e.Scopes, " ")
}

// Unwrap returns ErrForbidden.
func (e *ScopeError) Unwrap() error { return ErrForbidden }

// StatusError lets a hook answer with a status and stable code of its
// choosing (for example 422 with "contact.bad_number"). Detail is shown to
// the client, so it must not contain internal error text.
type StatusError struct {
	Status int
	Code   string
	Detail string
	Field  string
}

// Error returns the status and detail.
func (e *StatusError) Error() string {
	return fmt.Sprintf("crud: %d %s: %s", e.Status, http.StatusText(e.Status), e.Detail)
}

func fieldErr(field, code, reason string) error {
	return &FieldError{Field: clip(field), Code: code, Reason: reason}
}

// clip shortens client-supplied names that are echoed in errors.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	// Cut on a rune boundary.
	i := max
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
