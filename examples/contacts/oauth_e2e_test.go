package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func oauthScenarios() []scenario {
	return []scenario{
		{"issue 17: an RFC 6749 client logs in with the password grant, picks scopes and refreshes", testOAuthClient},
		{"issue 17: a rotated refresh token used again ends the session at once", testOAuthRefreshReuse},
		{"issue 17: two simultaneous refreshes with one token: exactly one succeeds", testOAuthConcurrentRefresh},
		{"issue 17: the token endpoint answers hostile requests with RFC 6749 errors", testOAuthHostileRequests},
		{"issue 17: the password grant is locked out like the JSON login", testOAuthLockout},
		{"issue 17: the OpenAPI document declares the OAuth2 password flow with every scope, on each operation", testOAuthOpenAPI},
	}
}

// forwardedFor sets the client's address on every request of an OAuth2
// client, as the harness does for its own requests.
type forwardedFor struct {
	ip   string
	next http.RoundTripper
}

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return f.next.RoundTrip(r)
}

// oauthConfig returns an unmodified golang.org/x/oauth2 client of the
// service's token endpoint, and a context whose HTTP client speaks from
// c's address.
func (c *client) oauthConfig(t testing.TB, scopes ...string) (*oauth2.Config, context.Context) {
	t.Helper()
	hc := &http.Client{Timeout: 60 * time.Second, Transport: forwardedFor{ip: c.ip, next: http.DefaultTransport}}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, hc)
	return &oauth2.Config{ClientID: "contacts", Endpoint: oauth2.Endpoint{TokenURL: c.in.base + "/auth/token"}, Scopes: scopes}, ctx
}

// scopeClaim returns the scope claim of an access token.
func scopeClaim(t testing.TB, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWT")
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Scope string `json:"scope"`
	}
	if err := json.Unmarshal(p, &c); err != nil {
		t.Fatal(err)
	}
	return c.Scope
}

func testOAuthClient(t *testing.T, in *instance) {
	u := in.newAccount(t, "oauth")
	conf, ctx := u.oauthConfig(t, "readonly", "metrics.read")
	tok, err := conf.PasswordCredentialsToken(ctx, u.username, u.password)
	if err != nil {
		t.Fatalf("PasswordCredentialsToken: %v", err)
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Expiry.IsZero() {
		t.Fatalf("token = %+v", tok)
	}
	if got := tok.Extra("scope"); got != "readonly" {
		t.Errorf("scope = %v, want readonly (metrics.read is not a user's)", got)
	}
	if got := scopeClaim(t, tok.AccessToken); got != "readonly" {
		t.Errorf("scope claim = %q, want readonly", got)
	}
	ro := u.withToken(tok.AccessToken)
	ro.get(t, "/contact").want(t, http.StatusOK)
	res := ro.post(t, "/contact", map[string]any{"info": "x@example.com", "privacy": "secret"})
	res.wantProblem(t, http.StatusForbidden, "crud.forbidden")
	if got := res.header.Get("WWW-Authenticate"); got != `Bearer error="insufficient_scope", scope="full"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}

	// The client's TokenSource refreshes an expired token by itself.
	old := *tok
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.RefreshToken == old.RefreshToken || fresh.RefreshToken == "" || fresh.AccessToken == "" {
		t.Fatalf("refresh did not rotate the refresh token")
	}
	u.withToken(fresh.AccessToken).get(t, "/contact").want(t, http.StatusOK)
	hc := conf.Client(ctx, fresh)
	r2, err := hc.Get(in.base + "/contact")
	if err != nil {
		t.Fatal(err)
	}
	_ = r2.Body.Close()
	if r2.StatusCode != http.StatusOK {
		t.Errorf("GET /contact through the oauth2 client = %d", r2.StatusCode)
	}

	// Without scopes the grant is every scope of the account's roles.
	conf, ctx = u.oauthConfig(t)
	all, err := conf.PasswordCredentialsToken(ctx, u.username, u.password)
	if err != nil {
		t.Fatal(err)
	}
	if got := all.Extra("scope"); got != "full readonly" {
		t.Errorf("scope = %v, want full readonly", got)
	}
	u.withToken(all.AccessToken).post(t, "/contact", map[string]any{"info": "y@example.com", "privacy": "secret"}).want(t, http.StatusCreated)
}

// tokenRequest posts a form to the token endpoint and checks the headers
// every answer of it carries.
func (c *client) tokenRequest(t testing.TB, form url.Values, hdr ...string) *response {
	t.Helper()
	h := append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)
	res, err := c.try(t, http.MethodPost, "/auth/token", form.Encode(), h...)
	if err != nil {
		t.Fatal(err)
	}
	if res.header.Get("Cache-Control") != "no-store" || (res.status != 429 && res.status != 503 && res.header.Get("Pragma") != "no-cache") {
		t.Errorf("token answer %d: Cache-Control %q, Pragma %q", res.status, res.header.Get("Cache-Control"), res.header.Get("Pragma"))
	}
	return res
}

// wantOAuthError checks a 400 answer with the OAuth2 error code.
func (r *response) wantOAuthError(t testing.TB, code string) {
	t.Helper()
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if r.status != http.StatusBadRequest || json.Unmarshal(r.body, &e) != nil || e.Error != code {
		t.Errorf("%s %s → %d %s, want 400 %s", r.method, r.path, r.status, r.body, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func passwordForm(c *client, extra ...string) url.Values {
	f := url.Values{"grant_type": {"password"}, "username": {c.username}, "password": {c.password}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

func testOAuthRefreshReuse(t *testing.T, in *instance) {
	u := in.newAccount(t, "reuse")
	t1 := decode[tokenAnswer](t, u.tokenRequest(t, passwordForm(u)).want(t, http.StatusOK))
	if t1.ExpiresIn <= 0 || t1.ExpiresIn > 15*60 || t1.TokenType != "Bearer" {
		t.Errorf("token answer %+v: want a Bearer token living at most jwt_ttl", t1)
	}
	t2 := decode[tokenAnswer](t, u.tokenRequest(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t1.RefreshToken}}).want(t, http.StatusOK))
	t3 := decode[tokenAnswer](t, u.tokenRequest(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t2.RefreshToken}, "scope": {"readonly"}}).want(t, http.StatusOK))
	if t3.Scope != "readonly" {
		t.Errorf("narrowed scope = %q", t3.Scope)
	}
	u.tokenRequest(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t3.RefreshToken}, "scope": {"metrics.read"}}).wantOAuthError(t, "invalid_scope")
	u.withToken(t3.AccessToken).get(t, "/contact").want(t, http.StatusOK)
	// The first refresh token, rotated twice, comes back: theft.
	u.tokenRequest(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t1.RefreshToken}}).wantOAuthError(t, "invalid_grant")
	for _, tok := range []string{t1.AccessToken, t2.AccessToken, t3.AccessToken} {
		u.withToken(tok).get(t, "/contact").wantProblem(t, http.StatusUnauthorized, "session.invalid_token")
	}
	u.tokenRequest(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t3.RefreshToken}}).wantOAuthError(t, "invalid_grant")
	if !strings.Contains(in.stderr.String()+in.stdout.String(), "rotated refresh token reused") {
		t.Errorf("the reuse is not in the service's log")
	}
}

func testOAuthConcurrentRefresh(t *testing.T, in *instance) {
	u := in.newAccount(t, "race")
	t1 := decode[tokenAnswer](t, u.tokenRequest(t, passwordForm(u)).want(t, http.StatusOK))
	const n = 4
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			statuses[i] = u.tokenRequest(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t1.RefreshToken}}).status
		})
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
		default:
			t.Errorf("concurrent refresh answered %d", s)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent refreshes succeeded, want exactly 1 (%v)", ok, n, statuses)
	}
}

func testOAuthHostileRequests(t *testing.T, in *instance) {
	u := in.newAccount(t, "hostile")
	c := u.fromIP(u.ip)
	form := passwordForm(u)
	for _, tc := range []struct {
		name string
		body string
		hdr  []string
		code string
	}{
		{"JSON body", `{"grant_type":"password"}`, []string{"Content-Type", "application/json"}, "invalid_request"},
		{"no grant type", url.Values{"username": {u.username}}.Encode(), nil, "invalid_request"},
		{"unknown grant type", "grant_type=client_credentials", nil, "unsupported_grant_type"},
		{"authorization code grant", "grant_type=authorization_code&code=x", nil, "unsupported_grant_type"},
		{"repeated parameter", form.Encode() + "&password=other", nil, "invalid_request"},
		{"repeated grant type", "grant_type=password&grant_type=refresh_token", nil, "invalid_request"},
		{"bad escape", "grant_type=password&username=%zz", nil, "invalid_request"},
		{"no password", url.Values{"grant_type": {"password"}, "username": {u.username}}.Encode(), nil, "invalid_request"},
		{"wrong password", passwordForm(u, "password", "Wrong-Password-123").Encode(), nil, "invalid_grant"},
		{"unknown user", passwordForm(u, "username", "nobody-"+randomText(6)).Encode(), nil, "invalid_grant"},
		{"double space in scope", passwordForm(u, "scope", "full  readonly").Encode(), nil, "invalid_scope"},
		{"quote in scope", passwordForm(u, "scope", `full"`).Encode(), nil, "invalid_scope"},
		{"tab in scope", passwordForm(u, "scope", "full\treadonly").Encode(), nil, "invalid_scope"},
		{"scope the account lacks", passwordForm(u, "scope", "metrics.read").Encode(), nil, "invalid_scope"},
		{"no refresh token", "grant_type=refresh_token", nil, "invalid_request"},
		{"garbage refresh token", "grant_type=refresh_token&refresh_token=abc.def.ghi", nil, "invalid_grant"},
		{"access token as refresh token", "grant_type=refresh_token&refresh_token=eyJhbGciOiJIUzI1NiJ9.e30.x", nil, "invalid_grant"},
		{"oversized body", "grant_type=password&username=" + strings.Repeat("a", 10000), nil, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := append([]string{"Content-Type", "application/x-www-form-urlencoded"}, tc.hdr...)
			res, err := c.try(t, http.MethodPost, "/auth/token", tc.body, h...)
			if err != nil {
				t.Fatal(err)
			}
			res.wantOAuthError(t, tc.code)
			if strings.Contains(string(res.body), u.password) {
				t.Errorf("the answer echoes the password")
			}
		})
	}
	res, err := c.try(t, http.MethodPost, "/auth/token?"+form.Encode(), "", "Content-Type", "application/x-www-form-urlencoded")
	if err != nil {
		t.Fatal(err)
	}
	res.wantOAuthError(t, "invalid_request")
	// HTTP Basic client credentials are ignored: the client is public.
	c.tokenRequest(t, form, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("contacts:"))).want(t, http.StatusOK)
}

func testOAuthLockout(t *testing.T, in *instance) {
	u := in.newAccount(t, "tlock")
	const max = 5 // APICRUD_LOGIN_ATTEMPTS_MAX
	bad := passwordForm(u, "password", "Wrong-Password-123")
	for range max {
		u.tokenRequest(t, bad).wantOAuthError(t, "invalid_grant")
	}
	res := u.tokenRequest(t, passwordForm(u))
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("after %d failures the password grant answered %d %s, want 429", max, res.status, res.body)
	}
	if secs, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("Retry-After = %q", res.header.Get("Retry-After"))
	}
}

func testOAuthOpenAPI(t *testing.T, in *instance) {
	var doc struct {
		Components struct {
			SecuritySchemes map[string]struct {
				Type  string `json:"type"`
				Flows struct {
					Password struct {
						TokenURL string            `json:"tokenUrl"`
						Scopes   map[string]string `json:"scopes"`
					} `json:"password"`
				} `json:"flows"`
			} `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(in.anonymous().get(t, "/openapi.json").want(t, http.StatusOK).body, &doc); err != nil {
		t.Fatal(err)
	}
	o := doc.Components.SecuritySchemes["oauth2"]
	if o.Type != "oauth2" || !strings.HasSuffix(o.Flows.Password.TokenURL, "/api/v1/auth/token") {
		t.Fatalf("oauth2 scheme = %+v", o)
	}
	for _, sc := range []string{"full", "readonly", "metrics.read"} {
		if o.Flows.Password.Scopes[sc] == "" {
			t.Errorf("scope %s without a description in %v", sc, o.Flows.Password.Scopes)
		}
	}
	var post struct {
		Security []map[string][]string `json:"security"`
	}
	if err := json.Unmarshal(doc.Paths["/api/v1/contact"]["post"], &post); err != nil {
		t.Fatalf("POST /contact: %v", err)
	}
	var found bool
	for _, req := range post.Security {
		if sc, ok := req["oauth2"]; ok && len(sc) == 1 && sc[0] == "full" {
			found = true
		}
	}
	if !found {
		t.Errorf("POST /contact security = %v, want oauth2 [full] among them", post.Security)
	}

	// The token endpoint: a form body and the RFC 6749 answers.
	type schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	var token struct {
		RequestBody struct {
			Content map[string]struct{ Schema schema } `json:"content"`
		} `json:"requestBody"`
		Responses map[string]struct {
			Content map[string]struct{ Schema schema } `json:"content"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(doc.Paths["/api/v1/auth/token"]["post"], &token); err != nil {
		t.Fatalf("POST /auth/token: %v", err)
	}
	form := token.RequestBody.Content["application/x-www-form-urlencoded"].Schema
	for _, f := range []string{"grant_type", "username", "password", "scope", "otp", "refresh_token"} {
		if form.Properties[f] == nil {
			t.Errorf("the token request form has no field %s: %v", f, form.Properties)
		}
	}
	if !slices.Equal(form.Required, []string{"grant_type"}) || len(token.RequestBody.Content) != 1 {
		t.Errorf("token request body: %+v, want only a form requiring grant_type", token.RequestBody)
	}
	ok := token.Responses["200"].Content["application/json"].Schema
	for _, f := range []string{"access_token", "token_type", "expires_in", "refresh_token", "scope"} {
		if ok.Properties[f] == nil {
			t.Errorf("the token answer has no field %s", f)
		}
	}
	if bad := token.Responses["400"].Content["application/json"].Schema; bad.Properties["error"] == nil || bad.Properties["error_description"] == nil {
		t.Errorf("the token endpoint's 400 is %+v, want {error, error_description}", token.Responses["400"])
	}
}
