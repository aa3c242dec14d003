package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/internal/testenv/oidcop"
	"github.com/apicrud-go/apicrud/session/login"
)

// newOP starts a real OpenID provider on TLS, with the clients rp and
// other redirecting to callback: alice has a verified address, bob an
// unverified one.
func newOP(t *testing.T, callback string) *oidcop.Provider {
	t.Helper()
	op := oidcop.Start(t, true, []oidcop.User{
		{ID: "u-alice", Username: "alice", Password: "alice-secret", Name: "Alice A", Email: "alice@example.com", EmailVerified: true},
		{ID: "u-bob", Username: "bob", Password: "bob-secret", Name: "Bob B", Email: "bob@example.com"},
	}, map[string]string{"rp": "rp-secret", "other": "other-secret"})
	op.SetRedirectURI(callback)
	return op
}

// flow is a relying party (a Provider behind /start and /callback) and a
// browser (a cookie jar and an HTTP client that follows redirects).
type flow struct {
	t       *testing.T
	op      *oidcop.Provider
	rp      *httptest.Server
	p       *Provider
	browser *http.Client
}

// result is what the relying party's callback answers.
type result struct {
	Identity login.Identity
	Err      string
}

func errName(err error) string {
	for _, e := range []error{ErrState, ErrProvider, ErrIDToken, ErrUnverifiedEmail} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func newFlow(t *testing.T) *flow {
	t.Helper()
	f := &flow{t: t}
	mux := http.NewServeMux()
	f.rp = httptest.NewTLSServer(mux)
	t.Cleanup(f.rp.Close)
	f.op = newOP(t, f.rp.URL+"/callback")
	var err error
	f.p, err = New(t.Context(), Config{Name: "zitadel", Issuer: f.op.URL, ClientID: "rp", ClientSecret: "rp-secret", RedirectURL: f.rp.URL + "/callback"},
		testenv.NewSealer(t), WithHTTPClient(f.op.Client))
	require.NoError(t, err)
	mux.HandleFunc("GET /start", func(w http.ResponseWriter, r *http.Request) { f.p.Start(w, r) })
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		id, err := f.p.Exchange(r.Context(), f.p.CallbackParams(r))
		f.p.ClearCookie(w)
		_ = json.NewEncoder(w).Encode(result{Identity: id, Err: errName(err)})
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	f.browser = &http.Client{Jar: jar, Transport: f.op.Client.Transport, Timeout: 30 * time.Second} // the test certificate is shared
	return f
}

// login runs the redirect dance up to the provider's answer: it starts
// at the relying party, logs in on the provider's page, and returns the
// callback URL the provider redirects to, without following it.
func (f *flow) login(username, password string) *url.URL {
	f.t.Helper()
	var callback *url.URL
	f.browser.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Host == strings.TrimPrefix(f.rp.URL, "https://") && r.URL.Path == "/callback" {
			callback = r.URL
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer func() { f.browser.CheckRedirect = nil }()
	page, err := f.browser.Get(f.rp.URL + "/start")
	require.NoError(f.t, err)
	_ = page.Body.Close()
	res := f.op.LogIn(f.t, f.browser, page, username, password)
	_ = res.Body.Close()
	require.NotNil(f.t, callback, "the provider redirected back (status %d)", res.StatusCode)
	return callback
}

// callback sends the provider's answer to the relying party, with the
// browser's cookies.
func (f *flow) callback(u *url.URL) result {
	f.t.Helper()
	res, err := f.browser.Get(u.String())
	require.NoError(f.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(f.t, err)
	var r result
	require.NoError(f.t, json.Unmarshal(body, &r), string(body))
	return r
}

// stateCookie returns the browser's state cookie for the relying party.
func (f *flow) stateCookie() *http.Cookie {
	u, _ := url.Parse(f.rp.URL)
	for _, c := range f.browser.Jar.Cookies(u) {
		if c.Name == DefaultCookiePrefix+"zitadel" {
			return c
		}
	}
	return nil
}

func (f *flow) setCookie(value string) {
	u, _ := url.Parse(f.rp.URL)
	f.browser.Jar.SetCookies(u, []*http.Cookie{{Name: DefaultCookiePrefix + "zitadel", Value: value, Path: "/", Secure: true}})
}

func TestFullLogin(t *testing.T) {
	f := newFlow(t)
	cb := f.login("alice", "alice-secret")
	q := cb.Query()
	require.NotEmpty(t, q.Get("code"))
	require.NotEmpty(t, q.Get("state"))
	saved := f.stateCookie()
	require.NotNil(t, saved)
	r := f.callback(cb)
	require.Empty(t, r.Err)
	require.Equal(t, login.Identity{Provider: "zitadel", Subject: "u-alice", Email: "alice@example.com", EmailVerified: true, Name: "Alice A"}, r.Identity)
	require.Nil(t, f.stateCookie(), "the relying party dropped the state cookie")

	// The same answer again (the cookie put back): the code is spent.
	f.setCookie(saved.Value)
	require.Equal(t, ErrProvider.Error(), f.callback(cb).Err, "replayed code")
	// Without the cookie: not this browser's login.
	require.Equal(t, ErrState.Error(), f.callback(cb).Err, "no state cookie")
}

func TestHostileCallbacks(t *testing.T) {
	f := newFlow(t)
	for name, tc := range map[string]struct {
		edit func(q url.Values, cookie string) (url.Values, string)
		want error
	}{
		"wrong state": {func(q url.Values, c string) (url.Values, string) { q.Set("state", q.Get("state")+"x"); return q, c }, ErrState},
		"no state":    {func(q url.Values, c string) (url.Values, string) { q.Del("state"); return q, c }, ErrState},
		"forged cookie": {func(q url.Values, c string) (url.Values, string) {
			return q, base64.RawURLEncoding.EncodeToString([]byte("not sealed by us at all, nope"))
		}, ErrState},
		"cookie of another login": {func(q url.Values, _ string) (url.Values, string) {
			return q, f.stateCookieOfNewLogin()
		}, ErrState},
		"provider error": {func(q url.Values, c string) (url.Values, string) { q.Set("error", "access_denied"); return q, c }, ErrProvider},
		"no code":        {func(q url.Values, c string) (url.Values, string) { q.Del("code"); return q, c }, ErrProvider},
		"wrong code":     {func(q url.Values, c string) (url.Values, string) { q.Set("code", "x"+q.Get("code")); return q, c }, ErrProvider},
		"wrong nonce": {func(q url.Values, c string) (url.Values, string) {
			return q, f.reseal(c, func(s *state) { s.Nonce = random() })
		}, ErrIDToken},
		"expired cookie": {func(q url.Values, c string) (url.Values, string) {
			return q, f.reseal(c, func(s *state) { s.Expires = time.Now().Add(-time.Second).Unix() })
		}, ErrState},
		"wrong PKCE verifier": {func(q url.Values, c string) (url.Values, string) {
			return q, f.reseal(c, func(s *state) { s.Verifier = random() })
		}, ErrProvider},
	} {
		t.Run(name, func(t *testing.T) {
			cb := f.login("alice", "alice-secret")
			q, c := tc.edit(cb.Query(), f.stateCookie().Value)
			f.setCookie(c)
			cb.RawQuery = q.Encode()
			require.Equal(t, tc.want.Error(), f.callback(cb).Err)
		})
	}
}

// stateCookieOfNewLogin starts another login in another browser and
// returns its state cookie.
func (f *flow) stateCookieOfNewLogin() string {
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Transport: f.browser.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := b.Get(f.rp.URL + "/start")
	require.NoError(f.t, err)
	_ = res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == DefaultCookiePrefix+"zitadel" {
			return c.Value
		}
	}
	f.t.Fatal("no state cookie")
	return ""
}

// reseal opens a state cookie, changes it and seals it again: what only
// the holder of the key can do, to reach the checks behind the seal.
func (f *flow) reseal(cookie string, change func(*state)) string {
	sealed, err := base64.RawURLEncoding.DecodeString(cookie)
	require.NoError(f.t, err)
	data, err := f.p.sealer.Open(sealed, f.p.additionalData())
	require.NoError(f.t, err)
	var s state
	require.NoError(f.t, json.Unmarshal(data, &s))
	change(&s)
	data, _ = json.Marshal(s)
	sealed, err = f.p.sealer.Seal(data, f.p.additionalData())
	require.NoError(f.t, err)
	return base64.RawURLEncoding.EncodeToString(sealed)
}

func TestUnverifiedEmailRefused(t *testing.T) {
	f := newFlow(t)
	require.Equal(t, ErrUnverifiedEmail.Error(), f.callback(f.login("bob", "bob-secret")).Err)
}

// TestIDTokenChecks verifies real ID tokens of the provider under the
// wrong expectations: expired (a clock two hours ahead), for another
// audience, and from another issuer.
func TestIDTokenChecks(t *testing.T) {
	f := newFlow(t)
	other := newOP(t, f.rp.URL+"/callback")
	otherOP, err := gooidc.NewProvider(gooidc.ClientContext(t.Context(), other.Client), other.URL)
	require.NoError(t, err)
	ctx := gooidc.ClientContext(context.WithoutCancel(t.Context()), f.op.Client)
	for name, v := range map[string]*gooidc.IDTokenVerifier{
		"expired":        f.p.provider.VerifierContext(ctx, &gooidc.Config{ClientID: "rp", Now: func() time.Time { return time.Now().Add(2 * time.Hour) }}),
		"other audience": f.p.provider.VerifierContext(ctx, &gooidc.Config{ClientID: "other"}),
		"other issuer":   otherOP.VerifierContext(gooidc.ClientContext(context.WithoutCancel(t.Context()), other.Client), &gooidc.Config{ClientID: "rp"}),
	} {
		t.Run(name, func(t *testing.T) {
			good := f.p.verifier
			f.p.verifier = v
			defer func() { f.p.verifier = good }()
			require.Equal(t, ErrIDToken.Error(), f.callback(f.login("alice", "alice-secret")).Err)
		})
	}
	require.Empty(t, f.callback(f.login("alice", "alice-secret")).Err, "the right expectations pass")
}

// TestPlainOAuth2 logs in through NewOAuth2 with a user-info function, at
// the same provider's endpoints (no ID token is read).
func TestPlainOAuth2(t *testing.T) {
	f := newFlow(t)
	ep := f.p.oauth.Endpoint
	userinfo := f.p.provider.UserInfoEndpoint()
	p, err := NewOAuth2(Config{Name: "zitadel", AuthURL: ep.AuthURL, TokenURL: ep.TokenURL, ClientID: "rp", ClientSecret: "rp-secret",
		RedirectURL: f.rp.URL + "/callback", Scopes: []string{"openid", "email"}}, testenv.NewSealer(t),
		func(ctx context.Context, c *http.Client) (login.Identity, error) {
			res, err := c.Get(userinfo)
			if err != nil {
				return login.Identity{}, err
			}
			defer res.Body.Close()
			var v struct {
				Sub           string `json:"sub"`
				Email         string `json:"email"`
				EmailVerified bool   `json:"email_verified"`
			}
			if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
				return login.Identity{}, err
			}
			return login.Identity{Subject: v.Sub, Email: v.Email, EmailVerified: v.EmailVerified}, nil
		}, WithHTTPClient(f.op.Client))
	require.NoError(t, err)
	f.p = p
	r := f.callback(f.login("alice", "alice-secret"))
	require.Empty(t, r.Err)
	require.Equal(t, "alice@example.com", r.Identity.Email)
	require.Equal(t, ErrUnverifiedEmail.Error(), f.callback(f.login("bob", "bob-secret")).Err)
}

func TestConfigRefused(t *testing.T) {
	good := Config{Name: "x", Issuer: "https://issuer.invalid", ClientID: "c", RedirectURL: "https://rp/cb"}
	for name, c := range map[string]Config{
		"empty name":        {Issuer: good.Issuer, ClientID: "c", RedirectURL: good.RedirectURL},
		"name with slash":   {Name: "a/b", Issuer: good.Issuer, ClientID: "c", RedirectURL: good.RedirectURL},
		"no client":         {Name: "x", Issuer: good.Issuer, RedirectURL: good.RedirectURL},
		"relative redirect": {Name: "x", Issuer: good.Issuer, ClientID: "c", RedirectURL: "/cb"},
		"no issuer":         {Name: "x", ClientID: "c", RedirectURL: good.RedirectURL},
	} {
		_, err := New(t.Context(), c, testenv.NewSealer(t))
		require.ErrorIs(t, err, ErrConfig, name)
	}
	_, err := New(t.Context(), good, nil)
	require.ErrorIs(t, err, ErrConfig)
	_, err = NewOAuth2(good, testenv.NewSealer(t), nil)
	require.ErrorIs(t, err, ErrConfig)
	_, err = New(t.Context(), good, testenv.NewSealer(t), WithStateTTL(time.Millisecond))
	require.ErrorIs(t, err, ErrConfig)
	require.Equal(t, "https://accounts.google.com", Google("id", "s", "https://rp/cb").Issuer)
}

// FuzzOpenState: arbitrary state cookies and parameters never open.
func FuzzOpenState(f *testing.F) {
	p := &Provider{name: "fuzz", sealer: testenv.NewSealer(f), cfg: config{now: time.Now}}
	genuine, _ := json.Marshal(state{State: "s", Nonce: "n", Verifier: "v", Expires: time.Now().Add(time.Hour).Unix()})
	sealed, _ := p.sealer.Seal(genuine, p.additionalData())
	f.Add(base64.RawURLEncoding.EncodeToString(sealed), "s")
	f.Add("", "")
	f.Add("e30", "s")
	f.Fuzz(func(t *testing.T, cookie, st string) {
		got, err := p.openState(url.Values{StateCookieParam: {cookie}, "state": {st}})
		if err == nil && (got.State != st || cookie != base64.RawURLEncoding.EncodeToString(sealed)) {
			t.Fatalf("opened a state that was not sealed here: %q %q", cookie, st)
		}
		if err != nil && !errors.Is(err, ErrState) {
			t.Fatalf("error %v is not ErrState", err)
		}
	})
}
