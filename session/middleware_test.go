package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

type principalKey struct{}

// apiKeys is an APIKeyVerifier with one valid key.
type apiKeys struct{}

func (apiKeys) VerifyAPIKey(_ context.Context, key string) (string, []string, []string, error) {
	if key != "abcd1234.secret" {
		return "", nil, nil, errors.New("unknown key")
	}
	return "u-key", []string{"user"}, []string{"catalogue.read"}, nil
}

// echo reports what the middleware put into the context.
func echo(w http.ResponseWriter, r *http.Request) {
	s, ok := session.FromContext(r.Context())
	p, _ := r.Context().Value(principalKey{}).(string)
	if !ok {
		fmt.Fprint(w, "anonymous")
		return
	}
	fmt.Fprintf(w, "uid=%s method=%s roles=%s principal=%s", s.UID, s.Method, strings.Join(s.Roles, ","), p)
}

func newHandler(t *testing.T, opts ...session.Option) (*env, http.Handler) {
	t.Helper()
	opts = append([]session.Option{
		session.WithAPIKeys(apiKeys{}),
		session.WithContextFunc(func(ctx context.Context, s *session.Session) context.Context {
			return context.WithValue(ctx, principalKey{}, "P:"+s.UID)
		}),
	}, opts...)
	e := newEnv(t, opts...)
	return e, e.m.Authenticate(http.HandlerFunc(echo))
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestAuthenticate(t *testing.T) {
	e, h := newHandler(t)
	s, tok, err := e.m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{Method: "password"})
	require.NoError(t, err)
	pending, ptok, err := e.m.Create(t.Context(), "u-2", []string{session.RolePendingTOTP}, session.Extra{})
	require.NoError(t, err)
	_ = pending

	ck := httptest.NewRecorder()
	e.m.SetCookie(ck, s, tok)
	cookie := ck.Result().Cookies()[0]

	for _, tc := range []struct {
		name   string
		setup  func(r *http.Request)
		target string
		status int
		body   string
	}{
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+string(tok)) }, "/", 200, "uid=u-1 method=password roles=user principal=P:u-1"},
		{"bearer, lower-case scheme", func(r *http.Request) { r.Header.Set("Authorization", "bearer "+string(tok)) }, "/", 200, "uid=u-1"},
		{"cookie", func(r *http.Request) { r.AddCookie(cookie) }, "/", 200, "uid=u-1 method=password"},
		{"api key", func(r *http.Request) { r.Header.Set("X-Api-Key", "abcd1234.secret") }, "/", 200, "uid=u-key method=apikey roles=user principal=P:u-key"},
		{"anonymous", func(*http.Request) {}, "/", 200, "anonymous"},
		{"token in the URL is ignored", func(*http.Request) {}, "/?token=" + string(tok) + "&access_token=" + string(tok), 200, "anonymous"},
		{"pendingtotp gets no principal", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+string(ptok)) }, "/", 200, "uid=u-2 method= roles=pendingtotp principal="},
		{"bad bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+string(tok)+"x") }, "/", 401, ""},
		{"basic auth", func(r *http.Request) { r.SetBasicAuth("u-1", string(tok)) }, "/", 401, ""},
		{"two authorization headers", func(r *http.Request) {
			r.Header.Add("Authorization", "Bearer "+string(tok))
			r.Header.Add("Authorization", "Bearer "+string(tok))
		}, "/", 401, ""},
		{"bad api key", func(r *http.Request) { r.Header.Set("X-Api-Key", "abcd1234.guess") }, "/", 401, ""},
		{"stale cookie: anonymous, cookie cleared", func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: "apicrud_session", Value: "x.y.z"})
		}, "/", 200, "anonymous"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			r.RemoteAddr = "192.0.2.1:5555"
			tc.setup(r)
			w := serve(h, r)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.status == http.StatusOK {
				require.Contains(t, w.Body.String(), tc.body)
				if strings.HasPrefix(tc.name, "stale cookie") {
					require.Contains(t, w.Header().Get("Set-Cookie"), "Max-Age=0")
				}
				if !strings.HasPrefix(w.Body.String(), "anonymous") {
					require.Equal(t, "no-store", w.Header().Get("Cache-Control"), "authenticated responses are not cacheable")
				}
				return
			}
			require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
			var p map[string]any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
			require.Equal(t, "session.invalid_token", p["code"])
			require.NotContains(t, w.Body.String(), "session:", "no internal error text")
			require.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
		})
	}
}

func TestAuthenticateStoreDown(t *testing.T) {
	good := newEnv(t)
	_, tok, err := good.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	m, err := session.New(good.sealer, testSecret, session.WithStore(failingStore{}))
	require.NoError(t, err)
	for name, set := range map[string]func(r *http.Request){
		"bearer": func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+string(tok)) },
		"cookie": func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "apicrud_session", Value: string(tok)}) },
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		set(r)
		w := serve(m.Authenticate(http.HandlerFunc(echo)), r)
		require.Equal(t, http.StatusServiceUnavailable, w.Code, name)
		require.Contains(t, w.Body.String(), "session.unavailable")
		require.NotContains(t, w.Body.String(), "connection refused", "no internal error text")
	}
}

func TestAuthenticateWithoutAPIKeyVerifier(t *testing.T) {
	e := newEnv(t)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Api-Key", "abcd1234.secret")
	require.Equal(t, http.StatusUnauthorized, serve(e.m.Authenticate(http.HandlerFunc(echo)), r).Code)
}

func TestErrorHandlerOption(t *testing.T) {
	var got error
	_, h := newHandler(t, session.WithErrorHandler(func(w http.ResponseWriter, _ *http.Request, err error) {
		got = err
		w.WriteHeader(http.StatusTeapot)
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer nope")
	require.Equal(t, http.StatusTeapot, serve(h, r).Code)
	require.ErrorIs(t, got, session.ErrInvalidToken)
}

func TestCookies(t *testing.T) {
	e := newEnv(t, session.WithCookie(http.Cookie{Name: "sid", Path: "/api", Domain: "example.com"}))
	s, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{Lifetime: time.Hour})
	require.NoError(t, err)
	w := httptest.NewRecorder()
	e.m.SetCookie(w, s, tok)
	c := w.Result().Cookies()[0]
	require.Equal(t, "sid", c.Name)
	require.Equal(t, string(tok), c.Value)
	require.Equal(t, "/api", c.Path)
	require.Equal(t, "example.com", c.Domain)
	require.True(t, c.HttpOnly)
	require.True(t, c.Secure)
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)
	require.InDelta(t, 3600, c.MaxAge, 2)

	w = httptest.NewRecorder()
	e.m.ClearCookie(w)
	c = w.Result().Cookies()[0]
	require.Equal(t, "sid", c.Name)
	require.Empty(t, c.Value)
	require.Negative(t, c.MaxAge)

	_, err = session.New(newSealer(t), testSecret, session.WithCookie(http.Cookie{Name: "sid", SameSite: http.SameSiteNoneMode}))
	require.ErrorIs(t, err, session.ErrOption)
}

// TestLoginHandler wires Login behind the middleware, as a host does: the
// client address comes from the request, errors map to their statuses.
func TestWriteError(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("%w: redis: %w", session.ErrUnavailable, errDown), 503, "session.unavailable"},
		{session.ErrInvalidToken, 401, "session.invalid_token"},
		{session.ErrCrossOrigin, 403, "session.cross_origin"},
		{session.ErrConflict, 409, "session.conflict"},
		{errors.New("pq: relation accounts does not exist"), 500, "session.internal"},
	} {
		w := httptest.NewRecorder()
		session.WriteError(w, tc.err)
		require.Equal(t, tc.status, w.Code, tc.err.Error())
		require.Contains(t, w.Body.String(), `"code":"`+tc.code+`"`)
		require.NotContains(t, w.Body.String(), "pq:")
		require.NotContains(t, w.Body.String(), "redis")
		if tc.status == 401 {
			require.Equal(t, `Bearer error="invalid_token"`, w.Header().Get("WWW-Authenticate"))
		}
	}
}

// downKeys is an APIKeyVerifier whose store is down: its error has
// Unavailable() true, as apikey.ErrUnavailable has.
type downKeys struct{}

type unavailableErr struct{}

func (unavailableErr) Error() string     { return "keys: database down" }
func (unavailableErr) Unavailable() bool { return true }

func (downKeys) VerifyAPIKey(context.Context, string) (string, []string, []string, error) {
	return "", nil, nil, fmt.Errorf("lookup: %w", unavailableErr{})
}

// An API key verifier that cannot decide (its database is down) gets 503
// with Retry-After, as a session store outage does, not 401.
func TestAuthenticateAPIKeyUnavailable(t *testing.T) {
	_, h := newHandler(t, session.WithAPIKeys(downKeys{}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Api-Key", "abcd1234.secret")
	w := serve(h, r)
	require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
	require.Contains(t, w.Body.String(), `"code":"session.unavailable"`)
	require.NotEmpty(t, w.Header().Get("Retry-After"))
	require.Empty(t, w.Header().Get("WWW-Authenticate"))

	// A bad key is still 401.
	_, h = newHandler(t)
	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Api-Key", "abcd1234.guessed")
	require.Equal(t, http.StatusUnauthorized, serve(h, r).Code)
}
