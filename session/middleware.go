package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Authenticate is the authentication middleware. For every request it
// looks for one credential, in this order:
//
//   - "Authorization: Bearer <token>", checked by Validate;
//   - "X-Api-Key: <key>", checked on every request by the APIKeyVerifier
//     of WithAPIKeys (refused when there is none);
//   - the session cookie (WithCookie), checked by Validate.
//
// A token is never read from the URL. A request without any credential
// passes on anonymously, and so does one whose session cookie is no longer
// valid (the cookie is cleared), so that a stale cookie never keeps a
// browser from the login page. A valid credential puts the Session into the
// context (FromContext), then calls the WithContextFunc function so the
// host can add its own principal, and sets "Cache-Control: no-store" on
// the response (the handler may override it). A session that only holds
// RolePendingTOTP is put into the context (for the step that completes
// the login), but the context function is not called for it: it must not
// count as a login anywhere else. An invalid Bearer token or API key is answered 401 and a store
// failure 503, both as problem+json (or by WithErrorHandler's function).
//
// An unsafe request (not GET, HEAD or OPTIONS) that carries the session
// cookie must come from the service's own origin or one given with
// WithTrustedOrigins, as net/http's CrossOriginProtection judges from the
// Sec-Fetch-Site and Origin headers; otherwise it is answered 403
// (ErrCrossOrigin) before the handler runs, so that another site's page
// cannot act with the user's cookie. A request without either header
// (not from a browser) passes.
//
// Every request's context also gets the Client (NewClientContext): its
// address (WithClientIP) and user agent, which sessions created under
// it (a login) and validated under it record (WithClientRecording,
// WithLastUse).
func (m *Manager) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if m.cfg.recordIP || m.cfg.recordUA {
			ctx = NewClientContext(ctx, m.clientOf(r))
		}
		s, fromCookie, err := m.authenticate(ctx, r)
		switch {
		case err != nil && fromCookie && !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrCrossOrigin):
			// A stale cookie (logged out, timed out) must not lock the
			// browser out of the login page: drop it, go on anonymously.
			m.ClearCookie(w)
			s = nil
		case err != nil:
			m.cfg.errorHandler(w, r.WithContext(ctx), err)
			return
		}
		if s != nil {
			ctx = NewContext(ctx, s)
			if m.cfg.contextFunc != nil && !s.HasRole(RolePendingTOTP) {
				ctx = m.cfg.contextFunc(ctx, s)
			}
			w.Header().Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authenticate finds and checks the request's credential; nil, nil for
// an anonymous request. fromCookie tells that the credential was the
// session cookie.
func (m *Manager) authenticate(ctx context.Context, r *http.Request) (s *Session, fromCookie bool, err error) {
	if h := r.Header.Values("Authorization"); len(h) > 0 {
		scheme, tok, ok := strings.Cut(h[0], " ")
		if len(h) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, false, fmt.Errorf("%w: Authorization is not one Bearer token", ErrInvalidToken)
		}
		s, err := m.Validate(ctx, strings.TrimSpace(tok))
		return s, false, err
	}
	if k := r.Header.Values("X-Api-Key"); len(k) > 0 {
		if m.cfg.apiKeys == nil || len(k) > 1 || k[0] == "" || len(k[0]) > 512 {
			return nil, false, fmt.Errorf("%w: API key refused", ErrInvalidToken)
		}
		uid, roles, scopes, err := m.cfg.apiKeys.VerifyAPIKey(ctx, k[0])
		if err != nil {
			if ctx.Err() != nil {
				return nil, false, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
			}
			var u interface{ Unavailable() bool }
			if errors.As(err, &u) && u.Unavailable() {
				return nil, false, fmt.Errorf("%w: API key: %w", ErrUnavailable, err)
			}
			return nil, false, fmt.Errorf("%w: API key: %w", ErrInvalidToken, err)
		}
		if validUID(uid) != nil {
			return nil, false, fmt.Errorf("%w: API key of an invalid uid", ErrInvalidToken)
		}
		return &Session{UID: uid, Roles: roles, Scopes: scopes, Method: MethodAPIKey, Created: time.Now()}, false, nil
	}
	if ck, err := r.Cookie(m.cfg.cookie.Name); err == nil && ck.Value != "" {
		// A browser sends the cookie with requests other sites' pages
		// make: unsafe ones must come from the service's own origin or a
		// trusted one.
		if err := m.xorigin.Check(r); err != nil {
			return nil, true, fmt.Errorf("%w: %w", ErrCrossOrigin, err)
		}
		s, err := m.Validate(ctx, ck.Value)
		return s, true, err
	}
	return nil, false, nil
}

func defaultErrorHandler(w http.ResponseWriter, _ *http.Request, err error) {
	WriteError(w, err)
}

// SetCookie sets the session cookie carrying tok for session s: HttpOnly,
// Secure, SameSite per WithCookie (Lax by default), expiring with the
// session. Authenticate refuses unsafe cookie-authenticated requests from
// other origins (see WithTrustedOrigins).
func (m *Manager) SetCookie(w http.ResponseWriter, s *Session, tok Token) {
	c := m.cfg.cookie
	c.Value = string(tok)
	c.Expires = s.Expires
	c.MaxAge = max(1, int(time.Until(s.Expires)/time.Second))
	c.HttpOnly, c.Secure = true, true
	http.SetCookie(w, &c)
}

// ClearCookie tells the browser to drop the session cookie (at logout,
// after Delete).
func (m *Manager) ClearCookie(w http.ResponseWriter) {
	c := m.cfg.cookie
	c.MaxAge = -1
	c.Expires = time.Unix(0, 0)
	c.HttpOnly, c.Secure = true, true
	http.SetCookie(w, &c)
}

// APIKeyVerifier authenticates an X-Api-Key header value on every request
// (the hash compared in constant time, whatever is cached) and returns the
// key owner's uid, roles and scopes. apikey.Manager implements it. An
// unknown, revoked or malformed key must return a non-nil error. An error
// that has a method Unavailable() bool returning true (found with
// errors.As anywhere in its chain) means the verifier cannot decide now
// (its store is down): Authenticate then answers ErrUnavailable (503 with
// Retry-After), as for a session store outage, not ErrInvalidToken.
type APIKeyVerifier interface {
	VerifyAPIKey(ctx context.Context, key string) (uid string, roles, scopes []string, err error)
}
