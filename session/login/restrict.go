package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/apicrud-go/apicrud/session"
)

// Roles of restricted sessions. A login of an account that owes an action
// (Account.MFARequired without TOTP, Account.PasswordMustChange) gets a
// session holding only these roles, whatever the account's own: its
// token carries none of the account's scopes (WithRoleScopes gives these
// roles none unless the host grants them some), the Restrict middleware
// refuses it everything but the action it owes, and a refresh keeps it as
// restricted as it was.
const (
	// RoleMFAEnrolment is the role of a session that may only enrol TOTP
	// (EnrollTOTP, ConfirmTOTP, then Unrestrict).
	RoleMFAEnrolment = "mfaenrolment"
	// RolePasswordChange is the role of a session that may only change
	// the password (ChangePassword ends it; the next login is full).
	RolePasswordChange = "passwordchange"
)

// Errors of restricted sessions (see Restrict).
var (
	// ErrMFAEnrolmentRequired refuses a request of a session that must
	// enrol TOTP first. WriteError answers it 403
	// "session.mfa_enrolment_required".
	ErrMFAEnrolmentRequired = errors.New("login: two-factor enrolment required")
	// ErrPasswordChangeRequired refuses a request of a session that must
	// change the password first. WriteError answers it 403
	// "session.password_change_required".
	ErrPasswordChangeRequired = errors.New("login: password change required")
)

// Requirements are the actions an administrator may require of an
// account before it gets a full session (SetRequirements).
type Requirements struct {
	// MFA requires TOTP: until it is enrolled, a login gives a session
	// that may only enrol it.
	MFA bool
	// PasswordChange requires a new password: until it is changed, a
	// login gives a session that may only change it.
	PasswordChange bool
}

// restrictions returns the roles of the restricted session acc gets at
// login, none when it owes nothing. A pending account owes nothing yet.
func restrictions(acc Account) []string {
	if acc.Status != StatusActive {
		return nil
	}
	var roles []string
	if acc.PasswordMustChange {
		roles = append(roles, RolePasswordChange)
	}
	if acc.MFARequired && acc.TOTPSecret == "" {
		roles = append(roles, RoleMFAEnrolment)
	}
	return roles
}

// Restricted reports whether s is a restricted session (it holds
// RoleMFAEnrolment or RolePasswordChange).
func Restricted(s *session.Session) bool {
	return s != nil && (s.HasRole(RoleMFAEnrolment) || s.HasRole(RolePasswordChange))
}

// SetRequirements sets the requirements of account uid (an administrator's
// tool: the host decides who may call it). Requiring something the
// account does not have yet ends its live sessions, so that its next login
// is restricted; lifting a requirement ends nothing. ChangePassword and
// ResetPassword clear PasswordChange; enrolling TOTP satisfies MFA, which
// stays set (removing TOTP brings the restriction back).
func (m *Manager) SetRequirements(ctx context.Context, uid string, req Requirements) error {
	if err := validUID(uid); err != nil {
		return err
	}
	var tighter bool
	acc, err := m.updateAccount(ctx, uid, func(a *Account) error {
		tighter = (req.MFA && !a.MFARequired && a.TOTPSecret == "") || (req.PasswordChange && !a.PasswordMustChange)
		a.MFARequired, a.PasswordMustChange = req.MFA, req.PasswordChange
		return nil
	})
	if err != nil || !tighter {
		return err
	}
	if _, err := m.sessions.DeleteAll(ctx, acc.UID); err != nil {
		return err
	}
	return nil
}

// Unrestrict replaces restricted session s with a full one once the
// account owes nothing more (after ConfirmTOTP, for RoleMFAEnrolment):
// s ends and the new session, with its token, is returned; it keeps the
// login's method and AMR. While the account still owes something, s keeps
// only the roles of what it owes, and the result is s as stored with an
// empty token. A session that is not restricted is returned as it is,
// with an empty token.
func (m *Manager) Unrestrict(ctx context.Context, s *session.Session) (*session.Session, session.Token, error) {
	if s == nil {
		return nil, "", session.ErrNoSession
	}
	stored, _, err := m.sessions.Load(ctx, s)
	if err != nil {
		return nil, "", err
	}
	if !Restricted(stored) {
		return stored, "", nil
	}
	acc, found, err := m.accounts.Get(ctx, stored.UID)
	if err != nil {
		return nil, "", fmt.Errorf("%w: account: %w", session.ErrUnavailable, err)
	}
	if !found || acc.Status != StatusActive {
		return nil, "", ErrInvalidCredentials
	}
	if left := restrictions(acc); len(left) > 0 {
		if !slices.Equal(left, stored.Roles) {
			if err := m.sessions.SetRoles(ctx, stored, left); err != nil {
				return nil, "", err
			}
		}
		return stored, "", nil
	}
	if err := m.sessions.Delete(ctx, stored); err != nil {
		return nil, "", err
	}
	return m.startSession(ctx, acc, stored.Method, stored.AMR)
}

// Restrictions name the requests a restricted session may make, each as
// "METHOD /path", compared exactly with the request's method and path (no
// patterns, no query).
type Restrictions struct {
	// MFAEnrolment are the requests of TOTP enrolment (for example
	// "POST /api/v1/auth/totp" and "PUT /api/v1/auth/totp").
	MFAEnrolment []string
	// PasswordChange are the requests of a password change (for example
	// "PUT /api/v1/account/password").
	PasswordChange []string
	// Always are the requests any restricted session may make (for
	// example logout, "DELETE /api/v1/auth").
	Always []string
}

// Restrict returns the middleware, to be placed after the session
// middleware (session.Manager.Authenticate), that confines restricted
// sessions: a request of a session holding RoleMFAEnrolment or
// RolePasswordChange passes only when it is one of the requests r allows
// for the roles it holds; any other is answered 403 by WriteError with
// ErrPasswordChangeRequired (checked first) or ErrMFAEnrolmentRequired.
// Requests of other sessions and anonymous ones pass untouched.
func (m *Manager) Restrict(r Restrictions) func(http.Handler) http.Handler {
	set := func(l []string) map[string]bool {
		out := make(map[string]bool, len(l)+len(r.Always))
		for _, x := range append(slices.Clone(l), r.Always...) {
			out[x] = true
		}
		return out
	}
	mfa, pwd := set(r.MFAEnrolment), set(r.PasswordChange)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			s, ok := session.FromContext(req.Context())
			if ok {
				key := req.Method + " " + req.URL.Path
				switch {
				case s.HasRole(RolePasswordChange) && !pwd[key]:
					WriteError(w, ErrPasswordChangeRequired)
					return
				case s.HasRole(RoleMFAEnrolment) && !s.HasRole(RolePasswordChange) && !mfa[key]:
					WriteError(w, ErrMFAEnrolmentRequired)
					return
				}
			}
			next.ServeHTTP(w, req)
		})
	}
}
