package session

import (
	"context"
)

type sessionKey struct{}

// NewContext returns a copy of ctx carrying s. The Authenticate middleware
// calls it for every authenticated request.
func NewContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// FromContext returns the session in ctx, and false for an anonymous
// request. A session holding RolePendingTOTP has only passed the password
// step: treat it as anonymous everywhere but the step that completes the
// login (package login's CompleteTOTP).
func FromContext(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*Session)
	return s, ok && s != nil
}

// Names the middleware gives a meaning to.
const (
	// RolePendingTOTP is the one role of a session that has passed the
	// password step of a login and still owes its second factor (package
	// login creates it). The middleware puts such a session into the
	// context but does not call the WithContextFunc function for it: it
	// must not count as a login anywhere else.
	RolePendingTOTP = "pendingtotp"
	// MethodAPIKey is the Session.Method of a request authenticated by an
	// X-Api-Key header (WithAPIKeys). Such a session is not stored.
	MethodAPIKey = "apikey"
)
