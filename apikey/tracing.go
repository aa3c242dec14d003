package apikey

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// WithTracerProvider makes Verify, Create and Revoke emit OpenTelemetry
// spans ("apicrud.apikey.Verify"...) with the key's id (its prefix, which
// is not secret), the owner's uid and the outcome ("valid", "invalid",
// "revoked", "expired", "owner_refused"); never the key or its secret. A
// refused key is an outcome; only a failed check (the store unreachable)
// marks the span as an error. Default: none, no span and no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) error {
		o.tp = tp
		return nil
	}
}

// Span attributes.
const (
	attrKeyID  = attribute.Key("apicrud.apikey.id")
	attrScopes = attribute.Key("apicrud.apikey.scopes")
)

func (a *Manager) traceVerify(ctx context.Context, key string) (Caller, error) {
	ctx, span := a.tracer.Start(ctx, "apicrud.apikey.Verify")
	c, err := a.verify(ctx, key)
	if k, perr := Parse(key); perr == nil {
		span.SetAttributes(attrKeyID.String(k.prefix))
	}
	outcome := ""
	switch {
	case err == nil:
		outcome = "valid"
		span.SetAttributes(tracing.UserID.String(c.UID), attrScopes.Int(len(c.Scopes)))
	case errors.Is(err, ErrMalformed), errors.Is(err, ErrInvalid):
		outcome = "invalid"
	case errors.Is(err, ErrRevoked):
		outcome = "revoked"
	case errors.Is(err, ErrExpired):
		outcome = "expired"
	case errors.Is(err, ErrOwner):
		outcome = "owner_refused"
	}
	if outcome != "" {
		span.SetAttributes(tracing.Outcome.String(outcome))
		span.End()
		return c, err
	}
	tracing.End(span, err, errCode(err))
	return c, err
}

func (a *Manager) traceCreate(ctx context.Context, uid, name string, scopes []string, expires time.Time) (Key, Record, error) {
	ctx, span := a.tracer.Start(ctx, "apicrud.apikey.Create", trace.WithAttributes(
		tracing.UserID.String(uid), attrScopes.Int(len(scopes))))
	k, rec, err := a.create(ctx, uid, name, scopes, expires)
	if err == nil {
		span.SetAttributes(attrKeyID.String(rec.Prefix))
	}
	tracing.End(span, err, errCode(err))
	return k, rec, err
}

// errCode is the problem code of an apikey error.
func errCode(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotFound):
		return "apikey.not_found"
	case errors.Is(err, ErrInvalidData), errors.Is(err, ErrExists):
		return "apikey.invalid"
	case errors.Is(err, ErrClosed):
		return "apikey.closed"
	default:
		return "apikey.unavailable"
	}
}
