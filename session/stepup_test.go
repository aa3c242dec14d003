package session_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

// TestStepUp: a step-up refuses a session authenticated too long ago or
// with one factor, with 401 session.reauthentication_required and an RFC
// 9470 challenge; Reauthenticate makes the same session pass.
func TestStepUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		ctx := t.Context()
		fresh, err := e.m.RequireStepUp(session.StepUp{MaxAge: 5 * time.Minute})
		require.NoError(t, err)
		strong, err := e.m.RequireStepUp(session.StepUp{MaxAge: 5 * time.Minute, MFA: true})
		require.NoError(t, err)
		ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
		call := func(mw func(http.Handler) http.Handler, tok session.Token) *httptest.ResponseRecorder {
			r := httptest.NewRequest(http.MethodPost, "/apikey", nil)
			if tok != "" {
				r.Header.Set("Authorization", "Bearer "+string(tok))
			}
			w := httptest.NewRecorder()
			e.m.Authenticate(mw(ok)).ServeHTTP(w, r)
			return w
		}
		refused := func(w *httptest.ResponseRecorder, challenge string) {
			t.Helper()
			require.Equal(t, http.StatusUnauthorized, w.Code)
			var p struct{ Code string }
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
			require.Equal(t, "session.reauthentication_required", p.Code)
			require.Equal(t, challenge, w.Header().Get("WWW-Authenticate"))
		}
		const desc = `Bearer error="insufficient_user_authentication", error_description="A more recent or stronger authentication is required"`

		s, tok, err := e.m.Create(ctx, "u-1", []string{"user"}, session.Extra{AMR: []string{"pwd"}})
		require.NoError(t, err)
		require.Equal(t, http.StatusNoContent, call(fresh, tok).Code, "just logged in")
		refused(call(strong, tok), desc+`, max_age="300", acr_values="mfa"`)

		time.Sleep(5*time.Minute + time.Second)
		refused(call(fresh, tok), desc+`, max_age="300"`)
		w := call(func(h http.Handler) http.Handler { return h }, tok)
		require.Equal(t, http.StatusNoContent, w.Code, "other routes still work")

		require.NoError(t, e.m.Reauthenticate(ctx, s, []string{"pwd"}))
		require.Equal(t, time.Now().UnixMilli(), s.AuthTime.UnixMilli())
		require.Equal(t, http.StatusNoContent, call(fresh, tok).Code, "reauthenticated: the same token passes")
		refused(call(strong, tok), desc+`, max_age="300", acr_values="mfa"`)
		require.NoError(t, e.m.Reauthenticate(ctx, s, []string{"pwd", "otp", "mfa"}))
		require.Equal(t, http.StatusNoContent, call(strong, tok).Code)
		got, err := e.m.Validate(ctx, string(tok))
		require.NoError(t, err)
		require.Equal(t, []string{"pwd", "otp", "mfa"}, got.AMR)
		require.Equal(t, s.AuthTime, got.AuthTime)

		// A weaker reauthentication replaces the stronger one's methods.
		time.Sleep(time.Minute)
		require.NoError(t, e.m.Reauthenticate(ctx, s, []string{"pwd"}))
		refused(call(strong, tok), desc+`, max_age="300", acr_values="mfa"`)

		// No session: 401 invalid token, not a step-up.
		w = call(fresh, "")
		require.Equal(t, http.StatusUnauthorized, w.Code)
		require.Contains(t, w.Body.String(), "session.invalid_token")
	})
}

func TestStepUpCheck(t *testing.T) {
	now := time.Now()
	pwd := &session.Session{ID: "x", UID: "u", Roles: []string{"user"}, AMR: []string{"pwd"}, AuthTime: now.Add(-time.Minute)}
	mfa := &session.Session{ID: "x", UID: "u", Roles: []string{"user"}, AMR: []string{"pwd", "otp", "mfa"}, AuthTime: now.Add(-time.Hour)}
	key := &session.Session{UID: "u", Roles: []string{"user"}, Method: session.MethodAPIKey, AuthTime: now}
	pending := &session.Session{ID: "x", UID: "u", Roles: []string{session.RolePendingTOTP}, AMR: []string{"pwd"}, AuthTime: now}
	never := &session.Session{ID: "x", UID: "u", Roles: []string{"user"}, AMR: []string{"pwd", "mfa"}}
	for _, tc := range []struct {
		name string
		u    session.StepUp
		s    *session.Session
		want error
	}{
		{"nothing asked", session.StepUp{}, pwd, nil},
		{"fresh enough", session.StepUp{MaxAge: 2 * time.Minute}, pwd, nil},
		{"too old", session.StepUp{MaxAge: 30 * time.Second}, pwd, session.ErrReauthenticate},
		{"one factor", session.StepUp{MFA: true}, pwd, session.ErrReauthenticate},
		{"two factors", session.StepUp{MFA: true}, mfa, nil},
		{"two factors too old", session.StepUp{MFA: true, MaxAge: time.Minute}, mfa, session.ErrReauthenticate},
		{"zero auth time", session.StepUp{MaxAge: time.Hour}, never, session.ErrReauthenticate},
		{"api key", session.StepUp{MaxAge: time.Hour}, key, session.ErrReauthenticate},
		{"api key, nothing asked", session.StepUp{}, key, nil},
		{"pending totp", session.StepUp{}, pending, session.ErrInvalidToken},
		{"nil", session.StepUp{}, nil, session.ErrInvalidToken},
	} {
		err := tc.u.Check(tc.s, now)
		if tc.want == nil {
			require.NoError(t, err, tc.name)
			continue
		}
		require.ErrorIs(t, err, tc.want, tc.name)
		if tc.want == session.ErrReauthenticate {
			var e *session.StepUpError
			require.ErrorAs(t, err, &e, tc.name)
			require.Equal(t, tc.u.MaxAge, e.MaxAge)
		}
	}
	e := newEnv(t)
	_, err := e.m.RequireStepUp(session.StepUp{MaxAge: -time.Second})
	require.ErrorIs(t, err, session.ErrOption)
	require.ErrorIs(t, e.m.Reauthenticate(t.Context(), nil, []string{"pwd"}), session.ErrNoSession)
	s, _, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	require.ErrorIs(t, e.m.Reauthenticate(t.Context(), s, nil), session.ErrInvalidValue)
	require.ErrorIs(t, e.m.Reauthenticate(t.Context(), s, []string{"p w d"}), session.ErrInvalidValue)
	require.NoError(t, e.m.Delete(t.Context(), s))
	require.ErrorIs(t, e.m.Reauthenticate(context.WithoutCancel(t.Context()), s, []string{"pwd"}), session.ErrNoSession)
}
