package login_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

func TestLoginHandler(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice", false)
	h := e.m.Clients(e.m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Username, Password, OTP string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			login.WriteError(w, err)
			return
		}
		s, tok, err := e.m.Login(r.Context(), in.Username, in.Password, in.OTP)
		if err != nil {
			login.WriteError(w, err)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "uid": s.UID, "roles": s.Roles, "expires": s.Expires})
	})))
	post := func(ip, user, pw string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/auth", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw)))
		r.RemoteAddr = ip + ":1234"
		return serve(h, r)
	}
	w := post("192.0.2.1", "alice", goodPassword)
	require.Equal(t, http.StatusCreated, w.Code)
	var out struct{ Token string }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
	_, err := e.m.Validate(t.Context(), out.Token)
	require.NoError(t, err)

	unknown, wrong := post("192.0.2.1", "nobody", goodPassword), post("192.0.2.1", "alice", "wrong password!")
	require.Equal(t, http.StatusUnauthorized, unknown.Code)
	require.Equal(t, unknown.Body.String(), wrong.Body.String(), "same body for an unknown user and a wrong password")

	for range 6 { // 5 free failures, and the one that sets the first wait
		require.Equal(t, http.StatusUnauthorized, post("203.0.113.5", "alice", "wrong password!").Code)
	}
	w = post("203.0.113.5", "alice", "wrong password!")
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	require.Equal(t, "1", w.Header().Get("Retry-After"))
	require.Equal(t, http.StatusCreated, post("192.0.2.1", "alice", goodPassword).Code, "the owner elsewhere is not locked out")
}

// TestWriteError: login.WriteError maps the errors of both packages, with
// the problem codes clients know.
func TestWriteError(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{&login.LockedError{RetryAfter: 1500 * time.Millisecond}, 429, "session.locked"},
		{fmt.Errorf("%w: redis: %w", session.ErrUnavailable, errDown), 503, "session.unavailable"},
		{session.ErrInvalidToken, 401, "session.invalid_token"},
		{login.ErrInvalidCredentials, 401, "session.invalid_credentials"},
		{login.ErrInvalidOTP, 401, "session.invalid_otp"},
		{&login.PasswordError{Code: login.CodePasswordCommon, Reason: "common"}, 400, login.CodePasswordCommon},
		{login.ErrUsernameTaken, 409, "session.username_taken"},
		{login.ErrUsernameRequired, 400, "session.username_required"},
		{login.ErrInvalidLink, 400, "session.invalid_link"},
		{login.ErrBusy, 503, "session.busy"},
		{session.ErrCrossOrigin, 403, "session.cross_origin"},
		{session.ErrConflict, 409, "session.conflict"},
		{errors.New("pq: relation accounts does not exist"), 500, "session.internal"},
	} {
		w := httptest.NewRecorder()
		login.WriteError(w, tc.err)
		require.Equal(t, tc.status, w.Code, tc.err.Error())
		require.Contains(t, w.Body.String(), `"code":"`+tc.code+`"`)
		require.NotContains(t, w.Body.String(), "pq:")
		require.NotContains(t, w.Body.String(), "redis")
		if tc.status == 429 {
			require.Equal(t, "2", w.Header().Get("Retry-After"), "rounded up")
		}
		if errors.Is(tc.err, login.ErrBusy) {
			require.Equal(t, "1", w.Header().Get("Retry-After"))
		}
	}
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestClientsMiddleware: the Clients middleware puts the address that
// WithClientIP finds and the remember-device cookie into the context.
func TestClientsMiddleware(t *testing.T) {
	m, err := newLogin(t, login.NewMemoryAccounts(), login.WithRememberDevice("dev", time.Hour),
		login.WithClientIP(func(r *http.Request) netip.Addr { return netip.MustParseAddr(r.Header.Get("X-Test-IP")) }))
	require.NoError(t, err)
	var got login.Client
	var ok bool
	h := m.Clients(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got, ok = login.ClientFromContext(r.Context()) }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Test-IP", "2001:db8::1")
	r.AddCookie(&http.Cookie{Name: "dev", Value: "cookie-value"})
	serve(h, r)
	require.True(t, ok)
	require.Equal(t, login.Client{IP: netip.MustParseAddr("2001:db8::1"), Device: "cookie-value"}, got)

	m, err = newLogin(t, login.NewMemoryAccounts())
	require.NoError(t, err)
	h = m.Clients(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got, ok = login.ClientFromContext(r.Context()) }))
	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "[::ffff:192.0.2.7]:5555"
	serve(h, r)
	require.True(t, ok)
	require.Equal(t, login.Client{IP: netip.MustParseAddr("192.0.2.7")}, got, "RemoteAddrIP by default, unmapped")
}
