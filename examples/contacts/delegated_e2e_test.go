package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/config"
	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/internal/testenv/oidcop"
)

// opUsers are the accounts at the test's OpenID provider.
var opUsers = []oidcop.User{
	{ID: "u-carol", Username: "carol", Password: "carol-secret", Name: "Carol C", Email: "carol@corp.example", EmailVerified: true},
	{ID: "u-bob", Username: "bob", Password: "bob-secret", Name: "Bob B", Email: "bob@corp.example"}, // not verified
	{ID: "u-owner", Username: "owner", Password: "owner-secret", Name: "Owner O", Email: "owner@corp.example", EmailVerified: true},
	{ID: "u-dave", Username: "dave", Password: "dave-secret", Name: "Dave D", Email: "dave@corp.example", EmailVerified: true},
}

// loopbackJar is a browser's cookie jar: like browsers, it sends Secure
// cookies to http://127.0.0.1, a loopback address (Go's jar sends them
// over https only).
type loopbackJar struct{ jar *cookiejar.Jar }

func newLoopbackJar() loopbackJar {
	j, _ := cookiejar.New(nil)
	return loopbackJar{j}
}

func (j loopbackJar) secure(u *url.URL) *url.URL {
	if u.Scheme == "http" && u.Hostname() == "127.0.0.1" {
		c := *u
		c.Scheme = "https"
		return &c
	}
	return u
}

func (j loopbackJar) SetCookies(u *url.URL, cs []*http.Cookie) { j.jar.SetCookies(j.secure(u), cs) }
func (j loopbackJar) Cookies(u *url.URL) []*http.Cookie        { return j.jar.Cookies(j.secure(u)) }

// browser is a user's browser: a cookie jar, redirects followed, its own
// client address.
type browser struct {
	t    *testing.T
	in   *instance
	op   *oidcop.Provider
	jar  loopbackJar
	http *http.Client
}

func newBrowser(t *testing.T, in *instance, op *oidcop.Provider) *browser {
	b := &browser{t: t, in: in, op: op, jar: newLoopbackJar()}
	b.http = &http.Client{Jar: b.jar, Timeout: 60 * time.Second, Transport: forwardedFor{ip: in.d.nextIP(), next: http.DefaultTransport}}
	return b
}

// answer reads res into a response of the harness.
func (b *browser) answer(res *http.Response) *response {
	b.t.Helper()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &response{method: res.Request.Method, path: res.Request.URL.Path, status: res.StatusCode, header: res.Header, body: body}
}

// login runs the whole redirect dance: the service's start route, the
// provider's login page, and back to the service's callback, whose
// answer it returns.
func (b *browser) login(provider, username, password string) *response {
	b.t.Helper()
	page, err := b.http.Get(b.in.base + "/auth/oidc/" + provider)
	if err != nil {
		b.t.Fatal(err)
	}
	_ = page.Body.Close()
	return b.answer(b.op.LogIn(b.t, b.http, page, username, password))
}

// authorize runs the dance up to the provider's answer and returns the
// callback URL it redirects to, without following it.
func (b *browser) authorize(username, password string) *url.URL {
	b.t.Helper()
	var callback *url.URL
	b.http.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if strings.HasSuffix(r.URL.Path, "/auth/oidc/corp/callback") {
			callback = r.URL
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer func() { b.http.CheckRedirect = nil }()
	b.login("corp", username, password)
	if callback == nil {
		b.t.Fatal("the provider did not redirect to the callback")
	}
	return callback
}

// get sends the browser to u.
func (b *browser) get(u string) *response {
	b.t.Helper()
	res, err := b.http.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.answer(res)
}

// stateCookie returns the browser's state cookie of provider corp, or nil.
func (b *browser) stateCookie() *http.Cookie {
	u, _ := url.Parse(b.in.base + "/auth/oidc/corp/callback")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "apicrud_oidc_corp" {
			return c
		}
	}
	return nil
}

func (b *browser) setStateCookie(v string) {
	u, _ := url.Parse(b.in.base + "/auth/oidc/corp/callback")
	b.jar.SetCookies(u, []*http.Cookie{{Name: "apicrud_oidc_corp", Value: v, Path: "/api/v1/auth/oidc/corp", Secure: true}})
}

// TestDelegatedLogin logs in through a real OpenID provider running in
// the test process (zitadel's op, its login page driven as a browser
// would) with the service configured by oidc_providers, oidc_client_ids
// and oidc_client_secrets, and tries the hostile answers. The same
// instance has restricted_usernames set.
func TestDelegatedLogin(t *testing.T) {
	binary(t)
	op := oidcop.Start(t, false, opUsers, map[string]string{"contacts": "contacts-client-secret"})
	d := sqliteDeployment(t)
	in := d.start(t, "contacts", "APICRUD_OIDC_PROVIDERS=corp="+op.URL, "APICRUD_OIDC_CLIENT_IDS=corp=contacts",
		"APICRUD_OIDC_CLIENT_SECRETS=corp=contacts-client-secret", "APICRUD_RESTRICTED_USERNAMES=corpadmin,helpdesk")
	op.SetRedirectURI(in.base + "/auth/oidc/corp/callback")

	t.Run("full login", func(t *testing.T) {
		b := newBrowser(t, in, op)
		res := b.login("corp", "carol", "carol-secret").want(t, http.StatusOK)
		if !strings.HasSuffix(res.path, "/auth/oidc/corp/callback") {
			t.Fatalf("the dance ended at %s, want the callback", res.path)
		}
		tb := decode[tokenBody](t, res)
		if tb.Token == "" || !slices.Equal(tb.Roles, []string{"user"}) {
			t.Fatalf("callback answer %+v, want a token and roles [user]", tb)
		}
		if b.stateCookie() != nil {
			t.Error("the state cookie outlived the callback")
		}
		carol := in.anonymous().withToken(tb.Token)
		carol.get(t, "/contact").want(t, http.StatusOK)
		me := decode[Person](t, carol.get(t, "/person/"+tb.UID).want(t, http.StatusOK))
		if me.Name != "Carol C" {
			t.Errorf("profile name %q, want the provider's Carol C", me.Name)
		}
		// A second login is the same account.
		again := decode[tokenBody](t, newBrowser(t, in, op).login("corp", "carol", "carol-secret").want(t, http.StatusOK))
		if again.UID != tb.UID {
			t.Errorf("second login uid %s, want %s", again.UID, tb.UID)
		}
	})

	t.Run("unknown provider", func(t *testing.T) {
		anon := in.anonymous()
		anon.get(t, "/auth/oidc/nobody").wantProblem(t, http.StatusNotFound, "http.404")
		anon.get(t, "/auth/oidc/nobody/callback?code=x&state=y").wantProblem(t, http.StatusNotFound, "http.404")
	})

	t.Run("start", func(t *testing.T) {
		res := in.anonymous().get(t, "/auth/oidc/corp").want(t, http.StatusFound)
		loc, err := url.Parse(res.header.Get("Location"))
		if err != nil || !strings.HasPrefix(loc.String(), op.URL+"/") {
			t.Fatalf("Location %q, want the provider", res.header.Get("Location"))
		}
		q := loc.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" ||
			q.Get("redirect_uri") != in.base+"/auth/oidc/corp/callback" || q.Get("client_id") != "contacts" {
			t.Errorf("authorization request %v: want PKCE S256, a nonce, a state, the callback and the client id", q)
		}
		c := res.header.Get("Set-Cookie")
		for _, want := range []string{"apicrud_oidc_corp=", "Path=/api/v1/auth/oidc/corp", "HttpOnly", "Secure", "SameSite=Lax"} {
			if !strings.Contains(c, want) {
				t.Errorf("state cookie %q lacks %s", c, want)
			}
		}
	})

	t.Run("wrong state", func(t *testing.T) {
		b := newBrowser(t, in, op)
		cb := b.authorize("carol", "carol-secret")
		q := cb.Query()
		q.Set("state", q.Get("state")+"x")
		cb.RawQuery = q.Encode()
		b.get(cb.String()).wantProblem(t, http.StatusUnauthorized, "session.invalid_credentials")
	})

	t.Run("replayed code and no cookie", func(t *testing.T) {
		b := newBrowser(t, in, op)
		cb := b.authorize("carol", "carol-secret")
		saved := b.stateCookie()
		if saved == nil {
			t.Fatal("no state cookie after the start")
		}
		b.get(cb.String()).want(t, http.StatusOK)
		// The same answer again, the cookie put back: the code is spent.
		b.setStateCookie(saved.Value)
		b.get(cb.String()).wantProblem(t, http.StatusUnauthorized, "session.invalid_credentials")
		// Without the cookie (the callback dropped it): not this browser's login.
		b.get(cb.String()).wantProblem(t, http.StatusUnauthorized, "session.invalid_credentials")
		// Another browser with a fresh answer of its own, but no cookie.
		other := newBrowser(t, in, op)
		cb2 := other.authorize("carol", "carol-secret")
		newBrowser(t, in, op).get(cb2.String()).wantProblem(t, http.StatusUnauthorized, "session.invalid_credentials")
	})

	t.Run("unverified address", func(t *testing.T) {
		newBrowser(t, in, op).login("corp", "bob", "bob-secret").wantProblem(t, http.StatusForbidden, "session.unverified_identity")
	})

	t.Run("pending account taken over by the address's owner", func(t *testing.T) {
		testDelegatedLoginTakeover(t, in, op)
	})

	t.Run("active account keeps its owner's password", func(t *testing.T) {
		// dave registered and confirmed dave@corp.example himself: the
		// delegated login is his account, and his password still works.
		dave := in.anonymous()
		dave.username, dave.identity, dave.password = "dave-"+randomText(6), "dave@corp.example", "Maple-"+randomText(14)
		dave.post(t, "/account", map[string]string{"username": dave.username, "identity": dave.identity, "password": dave.password}).want(t, http.StatusAccepted)
		m := in.d.takeMail(t, dave.identity, "confirm")
		dave.post(t, "/account/confirm", map[string]string{"token": m.Token, "password": dave.password}).want(t, http.StatusNoContent)
		tb := decode[tokenBody](t, newBrowser(t, in, op).login("corp", "dave", "dave-secret").want(t, http.StatusOK))
		if tb.UID != m.UID {
			t.Errorf("delegated login uid %s, want dave's account %s", tb.UID, m.UID)
		}
		dave.login(t)
	})

	t.Run("restricted usernames", func(t *testing.T) {
		testRestrictedUsernames(t, in)
	})
}

// The account takeover through delegated login: an attacker registers the
// victim's address with a password of their own and waits, logged in with
// the "pending" role; the victim later signs in through an identity
// provider that proves the address. The account becomes the victim's, and
// nothing the attacker set works any more.
func testDelegatedLoginTakeover(t *testing.T, in *instance, op *oidcop.Provider) {
	attacker := in.anonymous()
	attacker.username, attacker.identity, attacker.password = "squat-"+randomText(6), "owner@corp.example", "Squatter-Password-91"
	attacker.post(t, "/account", map[string]string{"username": attacker.username, "identity": attacker.identity, "password": attacker.password}).
		want(t, http.StatusAccepted)
	pending := attacker.login(t)
	if !slices.Equal(pending.Roles, []string{"pending"}) {
		t.Fatalf("pending login roles = %v", pending.Roles)
	}

	tb := decode[tokenBody](t, newBrowser(t, in, op).login("corp", "owner", "owner-secret").want(t, http.StatusOK))
	if tb.UID != pending.UID || !slices.Equal(tb.Roles, []string{"user"}) {
		t.Fatalf("delegated login: uid %s roles %v, want %s [user]", tb.UID, tb.Roles, pending.UID)
	}
	in.anonymous().withToken(tb.Token).get(t, "/contact").want(t, http.StatusOK)

	// The attacker's password and pending session are void.
	attacker.get(t, "/contact").wantProblem(t, http.StatusUnauthorized, "session.invalid_token")
	anon := attacker.fromIP(attacker.ip)
	for _, login := range []string{attacker.username, attacker.identity} {
		anon.post(t, "/auth", map[string]string{"username": login, "password": attacker.password}).
			wantProblem(t, http.StatusUnauthorized, "session.invalid_credentials")
	}
}

// testRestrictedUsernames: with restricted_usernames set, its names are
// taken for everyone who registers (the confirmation asks for another and
// refuses them again), and the library's default names are free again.
func testRestrictedUsernames(t *testing.T, in *instance) {
	c := in.anonymous()
	for _, name := range []string{"corpadmin", "HelpDesk"} {
		identity := "restricted-" + randomText(8) + "@example.com"
		password := "Maple-" + randomText(14)
		c.post(t, "/account", map[string]string{"username": name, "identity": identity, "password": password}).want(t, http.StatusAccepted)
		m := in.d.takeMail(t, identity, "confirm")
		if !strings.EqualFold(m.TakenUsername, name) {
			t.Errorf("registering %s: the confirmation says taken_username %q, want it taken", name, m.TakenUsername)
		}
		c.post(t, "/account/confirm", map[string]string{"token": m.Token, "password": password}).wantProblem(t, http.StatusBadRequest, "session.username_required")
		c.post(t, "/account/confirm", map[string]string{"token": m.Token, "password": password, "username": strings.ToLower(name)}).
			wantProblem(t, http.StatusConflict, "session.username_taken")
		c.post(t, "/account/confirm", map[string]string{"token": m.Token, "password": password, "username": "not-" + randomText(8)}).want(t, http.StatusNoContent)
	}
	identity := "root-" + randomText(8) + "@example.com"
	password := "Maple-" + randomText(14)
	c.post(t, "/account", map[string]string{"username": "root", "identity": identity, "password": password}).want(t, http.StatusAccepted)
	m := in.d.takeMail(t, identity, "confirm")
	if m.TakenUsername != "" {
		t.Errorf("root is not in restricted_usernames, yet taken: %+v", m)
	}
	c.post(t, "/account/confirm", map[string]string{"token": m.Token, "password": password}).want(t, http.StatusNoContent)
}

// TestRestrictedUsernamesDefault: without restricted_usernames, the
// library's list applies, and the configuration shows it.
func TestRestrictedUsernamesDefault(t *testing.T) {
	cfg, err := loadConfig("", nil, config.Set("jwt_key", testenv.RandomID(24)), config.Set("encryption_passphrase", testenv.RandomID(12)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cfg.RestrictedUsernames, "root") || !slices.Contains(cfg.RestrictedUsernames, "support") {
		t.Fatalf("default restricted_usernames %v, want the login package's list", cfg.RestrictedUsernames)
	}
	b, err := json.Marshal(cfg.Redacted())
	if err != nil || !strings.Contains(string(b), `"restricted_usernames":["admin"`) {
		t.Errorf("redacted view %s: want restricted_usernames listed", b)
	}
}

// TestDelegatedLoginConfigRefused: a provider setting the service cannot
// use stops the start, naming the key; a good one needs no network (the
// provider is read at the first login).
func TestDelegatedLoginConfigRefused(t *testing.T) {
	cfg := func(kv ...string) *serviceConfig {
		opts := []config.Option{config.Set("jwt_key", testenv.RandomID(24)), config.Set("encryption_passphrase", testenv.RandomID(12))}
		for i := 0; i+1 < len(kv); i += 2 {
			m := map[string]string{}
			for item := range strings.SplitSeq(kv[i+1], ",") {
				k, v, _ := strings.Cut(item, "=")
				m[k] = v
			}
			opts = append(opts, config.Set(kv[i], m))
		}
		c, err := loadConfig("", nil, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sealer := testenv.NewSealer(t)
	for name, c := range map[string]*serviceConfig{
		"no client id":               cfg("oidc_providers", "corp=https://sso.corp.example"),
		"client id of no provider":   cfg("oidc_providers", "corp=https://sso.corp.example", "oidc_client_ids", "corp=x,other=y"),
		"secret of no provider":      cfg("oidc_providers", "google=google", "oidc_client_ids", "google=x", "oidc_client_secrets", "gogle=s"),
		"scopes of no provider":      cfg("oidc_providers", "google=google", "oidc_client_ids", "google=x", "oidc_scopes", "x=openid"),
		"issuer not a URL":           cfg("oidc_providers", "corp=sso.corp.example", "oidc_client_ids", "corp=x"),
		"issuer of another scheme":   cfg("oidc_providers", "corp=ftp://sso.corp.example", "oidc_client_ids", "corp=x"),
		"name not a path segment":    cfg("oidc_providers", "a/b=https://sso.corp.example", "oidc_client_ids", "a/b=x"),
		"name with a space":          cfg("oidc_providers", "a b=https://sso.corp.example", "oidc_client_ids", "a b=x"),
		"name longer than 32 chars":  cfg("oidc_providers", strings.Repeat("a", 33)+"=google", "oidc_client_ids", strings.Repeat("a", 33)+"=x"),
		"issuer with no host at all": cfg("oidc_providers", "corp=https://", "oidc_client_ids", "corp=x"),
	} {
		if _, err := newIdentityProviders(c, sealer); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ps, err := newIdentityProviders(cfg("oidc_providers", "google=google,corp=https://sso.corp.example",
		"oidc_client_ids", "google=g,corp=c", "oidc_client_secrets", "google=s", "oidc_scopes", "corp=openid email groups"), sealer)
	if err != nil || len(ps) != 2 {
		t.Fatalf("good configuration: %v %v", ps, err)
	}
}
