package login

import (
	"context"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
	"github.com/apicrud-go/apicrud/session"
)

// WithTracerProvider makes Login and CompleteTOTP emit an OpenTelemetry
// span ("apicrud.login.Login", "apicrud.login.CompleteTOTP") with the
// outcome ("success", "pending_totp", "failure", "locked_out"), the login
// method of the session started (password, totp, backup_code, device),
// the account (user.id) on success, the problem code of a refusal
// (session.invalid_credentials...) and, when locked out, how long until
// the next attempt; never the username, the password or the code. The
// session's own span ("apicrud.session.Create", when the session.Manager
// traces too) nests below. A failed credential is an outcome; only a
// failed check (store unreachable, hashing busy) is an error. Default:
// none, no span and no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		c.tp = tp
		return nil
	}
}

// Span attributes.
const (
	attrMethod     = attribute.Key("apicrud.login.method")
	attrRetryAfter = attribute.Key("apicrud.login.retry_after")
	attrReason     = attribute.Key("apicrud.login.reason") // the problem code of a refusal
)

// traceLogin runs fn (a login flow) in a span named name.
func (m *Manager) traceLogin(ctx context.Context, name string, fn func(context.Context) (*session.Session, session.Token, error)) (*session.Session, session.Token, error) {
	ctx, span := m.tracer.Start(ctx, name)
	s, tok, err := fn(ctx)
	var locked *LockedError
	switch {
	case err == nil && s.HasRole(RolePendingTOTP):
		span.SetAttributes(tracing.Outcome.String("pending_totp"), tracing.UserID.String(s.UID))
	case err == nil:
		span.SetAttributes(tracing.Outcome.String("success"), tracing.UserID.String(s.UID), attrMethod.String(s.Method))
	case errors.As(err, &locked):
		span.SetAttributes(tracing.Outcome.String("locked_out"), attrRetryAfter.Float64(locked.RetryAfter.Seconds()))
	case errors.Is(err, ErrInvalidCredentials), errors.Is(err, ErrInvalidOTP), errors.Is(err, ErrNotPendingTOTP):
		span.SetAttributes(tracing.Outcome.String("failure"), attrReason.String(errCode(err)))
	default:
		tracing.End(span, err, errCode(err))
		return s, tok, err
	}
	span.End()
	return s, tok, err
}

// errCode is the problem code WriteError answers for err.
func errCode(err error) string {
	if p, ok := problemFor(discardHeaders{http.Header{}}, err); ok {
		return p.Code
	}
	switch {
	case errors.Is(err, session.ErrUnavailable):
		return "session.unavailable"
	case errors.Is(err, session.ErrInvalidToken):
		return "session.invalid_token"
	}
	return "session.internal"
}

// discardHeaders is the ResponseWriter problemFor sets headers on when
// only its code is wanted.
type discardHeaders struct{ h http.Header }

func (d discardHeaders) Header() http.Header         { return d.h }
func (d discardHeaders) Write(p []byte) (int, error) { return len(p), nil }
func (d discardHeaders) WriteHeader(int)             {}
