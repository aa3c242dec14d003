package session

import (
	"context"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// WithTracerProvider makes the Manager emit an OpenTelemetry span for each
// session operation: "apicrud.session.Validate" (also under
// Authenticate), "apicrud.session.Create", "apicrud.session.Renew",
// "apicrud.session.Revoke" (Delete and Revoke), "apicrud.session.RevokeAll"
// (DeleteAll) and "apicrud.session.RevokeOthers" (DeleteOthers), with the account (user.id), the login method, the roles
// count and the session id hashed (session.id; session.previous_id for
// the session Renew ends); never the token or the id itself. A refused
// token is an outcome ("invalid", "no_session") with the reason; a store
// failure is an error (session.unavailable). Default: none, no span and no
// cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		c.tp = tp
		return nil
	}
}

// Span attributes.
const (
	attrMethod     = attribute.Key("apicrud.session.method")
	attrRoles      = attribute.Key("apicrud.session.roles")
	attrReason     = attribute.Key("apicrud.session.reason")
	attrPreviousID = attribute.Key("session.previous_id")
	attrCount      = attribute.Key("apicrud.session.count")
)

// sessionAttrs describes s without a secret.
func sessionAttrs(s *Session) []attribute.KeyValue {
	kv := []attribute.KeyValue{tracing.UserID.String(s.UID), attrRoles.Int(len(s.Roles))}
	if s.ID != "" {
		kv = append(kv, tracing.SessionID.String(tracing.Hash(s.ID)))
	}
	if s.Method != "" {
		kv = append(kv, attrMethod.String(s.Method))
	}
	return kv
}

func (m *Manager) traceValidate(ctx context.Context, token string) (*Session, error) {
	ctx, span := m.tracer.Start(ctx, "apicrud.session.Validate")
	s, err := m.validate(ctx, token)
	switch {
	case err == nil:
		span.SetAttributes(sessionAttrs(s)...)
		span.SetAttributes(tracing.Outcome.String("valid"))
	case errors.Is(err, ErrInvalidToken):
		outcome := "invalid"
		if errors.Is(err, ErrNoSession) {
			outcome = "no_session"
		}
		// The reason is the package's own text (expired, bad signature,
		// no such session), never the token.
		span.SetAttributes(tracing.Outcome.String(outcome), attrReason.String(err.Error()))
		span.End()
		return s, err
	}
	tracing.End(span, err, errCode(err))
	return s, err
}

func (m *Manager) traceCreate(ctx context.Context, uid string, roles []string, extra Extra) (*Session, Token, error) {
	ctx, span := m.tracer.Start(ctx, "apicrud.session.Create")
	s, tok, err := m.create(ctx, uid, roles, extra)
	if err == nil {
		span.SetAttributes(sessionAttrs(s)...)
	}
	tracing.End(span, err, errCode(err))
	return s, tok, err
}

func (m *Manager) traceRenew(ctx context.Context, old *Session) (*Session, Token, error) {
	ctx, span := m.tracer.Start(ctx, "apicrud.session.Renew")
	if old != nil && old.ID != "" {
		span.SetAttributes(attrPreviousID.String(tracing.Hash(old.ID)))
	}
	s, tok, err := m.renew(ctx, old)
	if err == nil {
		span.SetAttributes(sessionAttrs(s)...)
	}
	tracing.End(span, err, errCode(err))
	return s, tok, err
}

func (m *Manager) traceDelete(ctx context.Context, s *Session) error {
	ctx, span := m.tracer.Start(ctx, "apicrud.session.Revoke")
	if s != nil {
		span.SetAttributes(sessionAttrs(s)...)
	}
	err := m.delete(ctx, s)
	tracing.End(span, err, errCode(err))
	return err
}

func (m *Manager) traceDeleteAll(ctx context.Context, uid string) (int, error) {
	ctx, span := m.tracer.Start(ctx, "apicrud.session.RevokeAll", trace.WithAttributes(tracing.UserID.String(uid)))
	n, err := m.deleteAll(ctx, uid)
	span.SetAttributes(attrCount.Int(n))
	tracing.End(span, err, errCode(err))
	return n, err
}

// errCode is the problem code WriteError answers for err.
func errCode(err error) string {
	if err == nil {
		return ""
	}
	return problemFor(discardHeaders{http.Header{}}, err).Code
}

// discardHeaders is the ResponseWriter problemFor sets headers on when
// only its code is wanted.
type discardHeaders struct{ h http.Header }

func (d discardHeaders) Header() http.Header         { return d.h }
func (d discardHeaders) Write(p []byte) (int, error) { return len(p), nil }
func (d discardHeaders) WriteHeader(int)             {}
