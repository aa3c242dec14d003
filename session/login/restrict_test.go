package login_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// restricted serves the routes of the Restrict test behind the session
// middleware and the restriction: each answers 204.
func restricted(e *env) http.Handler {
	mw := e.m.Restrict(login.Restrictions{
		MFAEnrolment:   []string{"POST /auth/totp", "PUT /auth/totp"},
		PasswordChange: []string{"PUT /account/password"},
		Always:         []string{"DELETE /auth"},
	})
	return e.m.Authenticate(mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })))
}

func do(t *testing.T, h http.Handler, method, path string, tok session.Token) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+string(tok))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestMFARequired: an account that must use TOTP and has none gets, at
// login, a session that may only enrol it, through JSON login, Issue and
// Refresh alike; after enrolment Unrestrict gives a full session.
func TestMFARequired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scopes := func(roles []string) []string {
			for _, r := range roles {
				if r == login.RoleUser {
					return []string{"full"}
				}
			}
			return nil
		}
		e := newEnv(t, session.WithRoleScopes(scopes))
		alice := e.user(t, "alice", false)
		ctx := from(t.Context(), "192.0.2.1")
		full, ftok, err := e.m.Login(ctx, "alice", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, []string{"user"}, full.Roles)
		require.NoError(t, e.m.SetRequirements(t.Context(), alice.UID, login.Requirements{MFA: true}))
		_, err = e.m.Validate(t.Context(), string(ftok))
		require.ErrorIs(t, err, session.ErrInvalidToken, "requiring MFA ends the account's sessions")

		s, tok, err := e.m.Login(ctx, "alice", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, []string{login.RoleMFAEnrolment}, s.Roles)
		require.Empty(t, s.Scopes, "a restricted session holds no scope")
		require.True(t, login.Restricted(s))
		h := restricted(e)
		w := do(t, h, http.MethodGet, "/contact", tok)
		require.Equal(t, http.StatusForbidden, w.Code)
		require.Contains(t, w.Body.String(), `"code":"session.mfa_enrolment_required"`)
		require.Equal(t, http.StatusForbidden, do(t, h, http.MethodPut, "/account/password", tok).Code)
		require.Equal(t, http.StatusNoContent, do(t, h, http.MethodPost, "/auth/totp", tok).Code)
		require.Equal(t, http.StatusNoContent, do(t, h, http.MethodDelete, "/auth", tok).Code)
		require.Equal(t, http.StatusNoContent, do(t, h, http.MethodGet, "/contact", "").Code, "anonymous requests pass")

		// The token endpoint's flow: Issue and Refresh keep the restriction.
		tk, err := e.m.Issue(t.Context(), s, nil)
		require.NoError(t, err)
		require.Empty(t, tk.Scopes)
		require.Equal(t, []string{login.RoleMFAEnrolment}, tk.Session.Roles)
		tk2, err := e.m.Refresh(t.Context(), string(tk.RefreshToken), []string{})
		require.NoError(t, err)
		require.Equal(t, []string{login.RoleMFAEnrolment}, tk2.Session.Roles)
		_, err = e.m.Refresh(t.Context(), string(tk2.RefreshToken), []string{"full"})
		require.ErrorIs(t, err, session.ErrInvalidScope, "a refresh cannot widen a restricted session")
		require.Equal(t, http.StatusForbidden, do(t, h, http.MethodGet, "/contact", tk2.AccessToken).Code)

		// RefreshRoles keeps it restricted.
		require.NoError(t, e.m.RefreshRoles(t.Context(), alice.UID))
		got, err := e.m.Validate(t.Context(), string(tk2.AccessToken))
		require.NoError(t, err)
		require.Equal(t, []string{login.RoleMFAEnrolment}, got.Roles)

		// Unrestrict before enrolment changes nothing.
		same, ntok, err := e.m.Unrestrict(t.Context(), got)
		require.NoError(t, err)
		require.Empty(t, ntok)
		require.Equal(t, []string{login.RoleMFAEnrolment}, same.Roles)

		enr, err := e.m.EnrollTOTP(t.Context(), got)
		require.NoError(t, err)
		_, err = e.m.ConfirmTOTP(t.Context(), got, code(t, enr.Secret, time.Now()))
		require.NoError(t, err)
		up, utok, err := e.m.Unrestrict(t.Context(), got)
		require.NoError(t, err)
		require.NotEmpty(t, utok)
		require.Equal(t, []string{"user"}, up.Roles)
		require.Equal(t, []string{"full"}, up.Scopes)
		require.Equal(t, http.StatusNoContent, do(t, h, http.MethodGet, "/contact", utok).Code)
		_, err = e.m.Validate(t.Context(), string(tk2.AccessToken))
		require.ErrorIs(t, err, session.ErrInvalidToken, "the restricted session ends")

		// With TOTP the requirement is met: the next login is an ordinary
		// one with its second factor.
		time.Sleep(step)
		n, _, err := e.m.Login(ctx, "alice", goodPassword, code(t, enr.Secret, time.Now()))
		require.NoError(t, err)
		require.Equal(t, []string{"user"}, n.Roles)
		// Removing TOTP brings the restriction back.
		require.NoError(t, e.m.ResetTOTP(t.Context(), alice.UID))
		r, _, err := e.m.Login(ctx, "alice", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, []string{login.RoleMFAEnrolment}, r.Roles)
	})
}

// TestPasswordMustChange: the session may only change the password;
// changing it clears the requirement and ends the session; the next login
// is full.
func TestPasswordMustChange(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice", true)
	bob := e.user(t, "bob", false)
	require.NoError(t, e.m.SetRequirements(t.Context(), alice.UID, login.Requirements{PasswordChange: true, MFA: true}))
	require.NoError(t, e.m.SetRequirements(t.Context(), bob.UID, login.Requirements{PasswordChange: true}))
	ctx := from(t.Context(), "192.0.2.1")
	s, tok, err := e.m.Login(ctx, "bob", goodPassword, "")
	require.NoError(t, err)
	require.Equal(t, []string{login.RolePasswordChange}, s.Roles)
	h := restricted(e)
	w := do(t, h, http.MethodPost, "/apikey", tok)
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Contains(t, w.Body.String(), `"code":"session.password_change_required"`)
	require.Equal(t, http.StatusForbidden, do(t, h, http.MethodPost, "/auth/totp", tok).Code)
	require.Equal(t, http.StatusNoContent, do(t, h, http.MethodPut, "/account/password", tok).Code)

	// Both owed: the password first, then the enrolment.
	a, atok, err := e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{login.RolePasswordChange, login.RoleMFAEnrolment}, a.Roles)
	require.NotContains(t, a.Roles, login.RoleAdmin)
	w = do(t, h, http.MethodPost, "/auth/totp", atok)
	require.Contains(t, w.Body.String(), "session.password_change_required")

	const next = "a brand new passphrase here"
	require.NoError(t, e.m.ChangePassword(ctx, bob.UID, goodPassword, next))
	_, err = e.m.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrInvalidToken)
	acc, _, err := e.accounts.Get(t.Context(), bob.UID)
	require.NoError(t, err)
	require.False(t, acc.PasswordMustChange, "a change clears the requirement")
	f, _, err := e.m.Login(ctx, "bob", next, "")
	require.NoError(t, err)
	require.Equal(t, []string{"user"}, f.Roles)

	require.NoError(t, e.m.ChangePassword(ctx, alice.UID, goodPassword, next))
	a, _, err = e.m.Login(ctx, "alice", next, "")
	require.NoError(t, err)
	require.Equal(t, []string{login.RoleMFAEnrolment}, a.Roles, "the enrolment is still owed")

	// Lifting a requirement ends nothing.
	require.NoError(t, e.m.SetRequirements(t.Context(), alice.UID, login.Requirements{}))
	_, _, err = e.m.Load(t.Context(), a)
	require.NoError(t, err)
	up, utok, err := e.m.Unrestrict(t.Context(), a)
	require.NoError(t, err)
	require.NotEmpty(t, utok)
	require.Equal(t, []string{"admin", "user"}, up.Roles)
	require.ErrorIs(t, e.m.SetRequirements(t.Context(), "u-none", login.Requirements{MFA: true}), login.ErrAccountNotFound)
}

// TestReauthenticate: the password (and a code) again refresh AuthTime
// and AMR of the same session; wrong ones are refused and throttled.
func TestReauthenticate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.user(t, "alice", false)
		secret, _ := e.enrolTOTP(t, "alice")
		ctx := from(t.Context(), "192.0.2.1")
		time.Sleep(step)
		s, tok, err := e.m.Login(ctx, "alice", goodPassword, code(t, secret, time.Now()))
		require.NoError(t, err)
		login0 := s.AuthTime
		time.Sleep(10 * time.Minute)
		require.ErrorIs(t, e.m.logins.Reauthenticate(ctx, s, "wrong password", ""), login.ErrInvalidCredentials)
		require.ErrorIs(t, e.m.logins.Reauthenticate(ctx, s, goodPassword, "000000"), login.ErrInvalidOTP)
		got, err := e.m.Validate(t.Context(), string(tok))
		require.NoError(t, err)
		require.Equal(t, login0, got.AuthTime, "failures record nothing")

		require.NoError(t, e.m.logins.Reauthenticate(ctx, s, goodPassword, ""))
		got, err = e.m.Validate(t.Context(), string(tok))
		require.NoError(t, err)
		require.Equal(t, time.Now().UnixMilli(), got.AuthTime.UnixMilli())
		require.Equal(t, []string{"pwd"}, got.AMR)
		time.Sleep(step)
		require.NoError(t, e.m.logins.Reauthenticate(ctx, s, goodPassword, code(t, secret, time.Now())))
		got, err = e.m.Validate(t.Context(), string(tok))
		require.NoError(t, err)
		require.Equal(t, []string{"pwd", "otp", "mfa"}, got.AMR)

		p, _, err := e.m.Login(ctx, "alice", goodPassword, "")
		require.NoError(t, err)
		require.ErrorIs(t, e.m.logins.Reauthenticate(ctx, p, goodPassword, ""), login.ErrInvalidCredentials, "a pending session cannot")
		require.ErrorIs(t, e.m.logins.Reauthenticate(ctx, nil, goodPassword, ""), login.ErrInvalidCredentials)

		e.user(t, "bob", false)
		b, _, err := e.m.Login(ctx, "bob", goodPassword, "")
		require.NoError(t, err)
		require.ErrorIs(t, e.m.logins.Reauthenticate(ctx, b, goodPassword, "123456"), login.ErrTOTPNotEnrolled)
		var locked error
		for range 20 {
			if locked = e.m.logins.Reauthenticate(ctx, b, "wrong", ""); !errors.Is(locked, login.ErrInvalidCredentials) {
				break
			}
		}
		require.ErrorIs(t, locked, login.ErrLocked, "guesses are throttled")
	})
}
