// Package oidcop runs a real OpenID provider in a test process: zitadel's
// op package with its example storage and login page, over TLS or plain
// HTTP, with the users and clients a test gives. Tests of delegated login
// (session/login/oidc, examples/contacts) use it instead of a hand-made
// stub, and drive its login page as a browser would.
package oidcop

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is an account at the provider.
type User struct {
	ID, Username, Password string
	Name                   string // "First Last"
	Email                  string
	EmailVerified          bool
}

// Provider is a running OpenID provider. Its clients are web clients
// (client secret over HTTP Basic, PKCE S256) that accept one redirect URI,
// set with SetRedirectURI.
type Provider struct {
	// URL is the issuer, also the base of the login page.
	URL string
	// Client trusts the provider's certificate (any client works over
	// plain HTTP).
	Client *http.Client

	mu       sync.Mutex // guards redirect
	redirect string
}

// Start starts a provider with users and clients (client id to secret),
// over TLS when tls is true; it stops when t ends. The clients accept the
// redirect URI of SetRedirectURI.
func Start(t testing.TB, tls bool, users []User, clients map[string]string) *Provider {
	t.Helper()
	var h http.Handler
	serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(serve)
	} else {
		srv = httptest.NewServer(serve)
	}
	t.Cleanup(srv.Close)
	us := userStore{}
	for _, u := range users {
		first, last, _ := strings.Cut(u.Name, " ")
		us[u.ID] = &storage.User{ID: u.ID, Username: u.Username, Password: u.Password, FirstName: first, LastName: last,
			Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English}
	}
	cs := map[string]*storage.Client{}
	for id, secret := range clients {
		cs[id] = storage.WebClient(id, secret, "https://unset.invalid/callback")
	}
	p := &Provider{URL: srv.URL, Client: srv.Client()}
	h = exampleop.SetupServer(srv.URL, &store{Storage: storage.NewStorageWithClients(us, cs), p: p}, nil, false)
	return p
}

// SetRedirectURI sets the one redirect URI every client accepts: the
// relying party's callback.
func (p *Provider) SetRedirectURI(uri string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redirect = uri
}

func (p *Provider) redirectURI() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.redirect
}

// LogIn submits username and password on the provider's login page, which
// page is (the answer a browser got by following the relying party's
// redirect), with browser: its redirects then lead back to the relying
// party's callback, followed or not as browser's CheckRedirect decides.
func (p *Provider) LogIn(t testing.TB, browser *http.Client, page *http.Response, username, password string) *http.Response {
	t.Helper()
	id := page.Request.URL.Query().Get("authRequestID")
	if page.StatusCode != http.StatusOK || id == "" || !strings.HasPrefix(page.Request.URL.String(), p.URL+"/login/") {
		t.Fatalf("not the provider's login page: %d %s", page.StatusCode, page.Request.URL)
	}
	res, err := browser.PostForm(p.URL+"/login/username", url.Values{"id": {id}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatalf("posting the login form: %v", err)
	}
	return res
}

// userStore is the provider's users by id.
type userStore map[string]*storage.User

func (u userStore) GetUserByID(id string) *storage.User { return u[id] }

func (u userStore) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}

func (u userStore) ExampleClientID() string { return "service" }

// store is the example storage, its clients accepting the provider's
// redirect URI.
type store struct {
	*storage.Storage
	p *Provider
}

// GetClientByClientID implements op.Storage.
func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return redirectClient{Client: c, uri: s.p.redirectURI()}, nil
}

// redirectClient is a client whose one redirect URI is uri.
type redirectClient struct {
	op.Client
	uri string
}

func (c redirectClient) RedirectURIs() []string { return []string{c.uri} }
