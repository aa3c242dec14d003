package tracing

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Attribute keys. Where OpenTelemetry's semantic conventions define one,
// that key is used; the others are under "apicrud.".
const (
	// ErrorType is the semantic-convention key of a failed operation's
	// class: here its problem code ("ratelimit.unavailable").
	ErrorType = attribute.Key("error.type")
	// SessionID is the semantic-convention key of a session's id; its value
	// is always Hash of the id, never the id or the token.
	SessionID = attribute.Key("session.id")
	// UserID is the semantic-convention key of the authenticated account.
	UserID = attribute.Key("user.id")
	// DBOperation, DBCollection and DBRows are the database keys of the
	// semantic conventions (operation name, table, rows returned).
	DBOperation  = attribute.Key("db.operation.name")
	DBCollection = attribute.Key("db.collection.name")
	DBRows       = attribute.Key("db.response.returned_rows")
	// HTTPStatus is the semantic-convention key of an HTTP status code.
	HTTPStatus = attribute.Key("http.response.status_code")

	// Outcome says what happened: "allowed", "denied", "obtained",
	// "not_obtained", "success", "failure", "locked_out"...
	Outcome = attribute.Key("apicrud.outcome")
	// Resource and Action are what an access decision or a CRUD operation
	// is about.
	Resource = attribute.Key("apicrud.resource")
	Action   = attribute.Key("apicrud.action")
	// Name is a hashed name (a lock, a grant, a registry service...).
	Name = attribute.Key("apicrud.name")
)

// New returns the tracer of the package named pkg (its import path) from
// tp, or nil when tp is nil: callers branch on nil and then skip every
// tracing step.
func New(tp trace.TracerProvider, pkg string) trace.Tracer {
	if tp == nil {
		return nil
	}
	return tp.Tracer(pkg)
}

// Hash returns the first 16 hexadecimal digits of the SHA-256 of s: enough
// to tell two values apart in a trace and to find the spans of one value,
// without writing the value. Only hash values with enough entropy that
// guessing is hopeless (session ids), or values that are not secret but
// should not be shown (lock names).
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// End ends span. When err is not nil it records err (an "exception" event
// whose message is err's text with every non-empty string of redact
// replaced by its Hash), sets the span's status to Error with code as its
// description and sets error.type to code, the problem code that an HTTP
// client would see for this failure.
func End(span trace.Span, err error, code string, redact ...string) {
	if err != nil {
		msg := err.Error()
		for _, r := range redact {
			if r != "" {
				msg = strings.ReplaceAll(msg, r, Hash(r))
			}
		}
		span.AddEvent("exception", trace.WithAttributes(
			attribute.String("exception.type", code), attribute.String("exception.message", msg)))
		span.SetStatus(codes.Error, code)
		span.SetAttributes(ErrorType.String(code))
	}
	span.End()
}
