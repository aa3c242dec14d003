package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// ErrReauthenticate reports a session whose latest authentication is too
// old or too weak for the request (see StepUp). It is returned inside a
// *StepUpError; the middleware answers it 401 with the problem code
// "session.reauthentication_required" and a WWW-Authenticate header with
// error="insufficient_user_authentication" (RFC 9470), so that the client
// authenticates again and retries.
var ErrReauthenticate = errors.New("session: reauthentication required")

// AMRMFA is the authentication methods reference (RFC 8176) of an
// authentication that used two factors, which StepUp.MFA requires. It is
// also the ACR value that the WWW-Authenticate hint of a refused step-up
// names.
const AMRMFA = "mfa"

// StepUp is what a sensitive operation (changing the password, enrolling
// or removing a factor, creating an API key) asks of the session's latest
// authentication. The zero value asks nothing.
type StepUp struct {
	// MaxAge is the longest time since the latest authentication
	// (Session.AuthTime) that passes; 0 accepts any age.
	MaxAge time.Duration
	// MFA requires the latest authentication to have used two factors
	// (AMRMFA among Session.AMR).
	MFA bool
}

// StepUpError is the refusal of a step-up: what the operation requires.
// errors.Is(err, ErrReauthenticate) holds.
type StepUpError struct {
	// MaxAge and MFA are the StepUp that refused.
	MaxAge time.Duration
	MFA    bool
}

func (e *StepUpError) Error() string {
	return fmt.Sprintf("session: reauthentication required (max age %v, mfa %v)", e.MaxAge, e.MFA)
}

// Unwrap returns ErrReauthenticate.
func (e *StepUpError) Unwrap() error { return ErrReauthenticate }

// Check tells whether session s satisfies the step-up at time now: nil,
// or a *StepUpError. An API-key session (it records no authentication)
// never satisfies a step-up that asks something, nor does a session
// waiting for its second factor; a nil session is ErrInvalidToken.
func (u StepUp) Check(s *Session, now time.Time) error {
	if s == nil || s.HasRole(RolePendingTOTP) {
		return fmt.Errorf("%w: no session", ErrInvalidToken)
	}
	if u.MaxAge <= 0 && !u.MFA {
		return nil
	}
	stale := u.MaxAge > 0 && (s.AuthTime.IsZero() || now.Sub(s.AuthTime) > u.MaxAge)
	weak := u.MFA && !slices.Contains(s.AMR, AMRMFA)
	if stale || weak || s.Method == MethodAPIKey {
		return &StepUpError{MaxAge: u.MaxAge, MFA: u.MFA}
	}
	return nil
}

// RequireStepUp returns the middleware that lets through only requests
// whose session (FromContext, put there by Authenticate) satisfies u
// (StepUp.Check); the others are answered by the error handler
// (WithErrorHandler; by default 401 problem+json "session.reauthentication_required"
// with WWW-Authenticate, or "session.invalid_token" without a session). A
// MaxAge below zero is ErrOption.
func (m *Manager) RequireStepUp(u StepUp) (func(http.Handler) http.Handler, error) {
	if u.MaxAge < 0 || u.MaxAge > maxLifetime {
		return nil, optionError("step-up max age %v outside [0, %v]", u.MaxAge, maxLifetime)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := FromContext(r.Context())
			if err := u.Check(s, time.Now()); err != nil {
				m.cfg.errorHandler(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// Reauthenticate records a new authentication of the stored session s,
// which the caller has just verified (package login's Reauthenticate
// checks a password and a second factor): AuthTime becomes now and AMR
// becomes amr, the methods of this authentication (they replace those of
// the login, so that a weaker reauthentication does not inherit a
// stronger one's "mfa"). The change is reflected in s; the session keeps
// its token, deadlines and refresh token. amr must not be empty.
func (m *Manager) Reauthenticate(ctx context.Context, s *Session, amr []string) error {
	if s == nil || s.ID == "" {
		return ErrNoSession
	}
	if len(amr) == 0 {
		return fmt.Errorf("%w: no amr", ErrInvalidValue)
	}
	if err := validAMR(amr); err != nil {
		return err
	}
	now := time.Now()
	r, err := m.modify(ctx, s.UID, s.ID, func(r *record) error {
		if slices.Contains(r.Roles, RolePendingTOTP) {
			return ErrNoSession
		}
		r.AMR = slices.Clone(amr)
		r.Auth = now.UnixMilli()
		return nil
	})
	if err != nil {
		return err
	}
	s.AMR, s.AuthTime = r.AMR, time.UnixMilli(r.Auth)
	return nil
}

// stepUpChallenge is the WWW-Authenticate value of a refused step-up
// (RFC 9470 section 3).
func stepUpChallenge(e *StepUpError) string {
	v := `Bearer error="insufficient_user_authentication", error_description="A more recent or stronger authentication is required"`
	if e.MaxAge > 0 {
		v += `, max_age="` + strconv.FormatInt(int64(e.MaxAge/time.Second), 10) + `"`
	}
	if e.MFA {
		v += `, acr_values="` + AMRMFA + `"`
	}
	return v
}
