package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/oidc"
)

// googlePreset is the value of oidc_providers that selects Google's
// OpenID Connect provider.
const googlePreset = "google"

// discoveryRetry is how long a provider whose discovery failed answers 503
// before discovery is tried again.
const discoveryRetry = 10 * time.Second

// discoveryTimeout bounds the provider's discovery request.
const discoveryTimeout = 10 * time.Second

// identityProviders are the providers of delegated login, by the name in
// the paths /auth/oidc/{provider} and /auth/oidc/{provider}/callback.
type identityProviders map[string]*lazyProvider

// lazyProvider is an OpenID Connect provider of the configuration, read
// from its issuer's discovery document at its first login (a provider that
// is down at start-up does not stop the service) and again discoveryRetry
// after a failure.
type lazyProvider struct {
	name string
	open func(ctx context.Context) (*oidc.Provider, error)

	mu       sync.Mutex // guards p and failedAt, and serializes discovery
	p        *oidc.Provider
	failedAt time.Time
}

// errDiscovery reports a provider whose discovery failed recently.
var errDiscovery = errors.New("oidc provider unavailable")

// get returns the provider, running its discovery when it has not run
// successfully yet.
func (l *lazyProvider) get(ctx context.Context) (*oidc.Provider, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.p != nil {
		return l.p, nil
	}
	if time.Since(l.failedAt) < discoveryRetry {
		return nil, errDiscovery
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), discoveryTimeout)
	defer cancel()
	p, err := l.open(ctx)
	if err != nil {
		l.failedAt = time.Now()
		return nil, fmt.Errorf("%w: %w", errDiscovery, err)
	}
	l.p = p
	return p, nil
}

// newIdentityProviders returns the providers of oidc_providers, each with
// its client id (oidc_client_ids), secret (oidc_client_secrets) and scopes
// (oidc_scopes; default openid email profile), its callback at
// <public_url><base_url>/auth/oidc/<name>/callback and its state cookie
// sealed with cipher and sent only to that path. Every name in the other
// three maps must be a provider's, and every provider needs a client id.
func newIdentityProviders(cfg *serviceConfig, cipher oidc.Sealer) (identityProviders, error) {
	ps := identityProviders{}
	for _, m := range []struct {
		key   string
		names []string
	}{
		{"oidc_client_ids", slices.Collect(maps.Keys(cfg.OIDCClientIDs))},
		{"oidc_client_secrets", slices.Collect(maps.Keys(cfg.OIDCClientSecrets))},
		{"oidc_scopes", slices.Collect(maps.Keys(cfg.OIDCScopes))},
	} {
		for _, n := range m.names {
			if _, ok := cfg.OIDCProviders[n]; !ok {
				return nil, fmt.Errorf("%s: %q is not a provider of oidc_providers", m.key, n)
			}
		}
	}
	client := &http.Client{Timeout: discoveryTimeout}
	base := strings.TrimSuffix(cfg.PublicURL(), "/") + cfg.BaseURL() + "/auth/oidc/"
	for _, name := range slices.Sorted(maps.Keys(cfg.OIDCProviders)) {
		issuer := cfg.OIDCProviders[name]
		c := oidc.Config{Name: name, Issuer: issuer, ClientID: cfg.OIDCClientIDs[name], ClientSecret: cfg.OIDCClientSecrets[name],
			RedirectURL: base + name + "/callback", Scopes: strings.Fields(cfg.OIDCScopes[name])}
		if issuer == googlePreset {
			g := oidc.Google(c.ClientID, c.ClientSecret, c.RedirectURL)
			g.Name = name
			if len(c.Scopes) > 0 {
				g.Scopes = c.Scopes
			}
			c = g
		}
		if !validProviderName(name) {
			return nil, fmt.Errorf("oidc_providers: provider name %q: use at most 32 letters, digits, - and _", name)
		}
		if c.ClientID == "" {
			return nil, fmt.Errorf("oidc_client_ids: provider %q has no client id", name)
		}
		if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("oidc_providers: %s: issuer %q is neither an http(s) URL nor %q", name, c.Issuer, googlePreset)
		}
		opts := []oidc.Option{oidc.WithHTTPClient(client), oidc.WithCookiePath(cfg.BaseURL() + "/auth/oidc/" + name)}
		ps[name] = &lazyProvider{name: name, open: func(ctx context.Context) (*oidc.Provider, error) {
			return oidc.New(ctx, c, cipher, opts...)
		}}
	}
	return ps, nil
}

// validProviderName reports whether name can be a provider's: the path
// segment of its routes and the suffix of its state cookie's name.
func validProviderName(name string) bool {
	return name != "" && len(name) <= 32 && strings.IndexFunc(name, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_'
	}) < 0
}

// provider returns the provider of the request's {provider}, or answers
// 404 (unknown) or 503 with Retry-After (its discovery failed).
func (a *app) provider(w http.ResponseWriter, r *http.Request) (*oidc.Provider, bool) {
	lp, ok := a.providers[r.PathValue("provider")]
	if !ok {
		writeProblem(w, http.StatusNotFound, "http.404", "")
		return nil, false
	}
	p, err := lp.get(r.Context())
	if err != nil {
		a.log.WarnContext(r.Context(), "delegated login: provider discovery failed", "provider", lp.name, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(int(discoveryRetry/time.Second)))
		writeProblem(w, http.StatusServiceUnavailable, "session.unavailable", "")
		return nil, false
	}
	return p, true
}

// delegatedStart is GET /auth/oidc/{provider}: 302 to the provider's
// login page, with the state cookie that binds the callback to this
// browser. An unknown provider is 404.
func (a *app) delegatedStart(w http.ResponseWriter, r *http.Request) {
	if p, ok := a.provider(w, r); ok {
		p.Start(w, r)
	}
}

// delegatedCallback is GET /auth/oidc/{provider}/callback: the provider's
// answer is exchanged for a session, as a login gives (200 with the token
// in the body, never in a URL; "pendingtotp" for an account with a second
// factor). The state cookie is dropped whatever the outcome, so an answer
// is accepted once. An unknown provider is 404; a callback that this
// browser did not start, a spent or forged code, or an ID token that does
// not verify is 401; an address the provider does not vouch for is 403.
func (a *app) delegatedCallback(w http.ResponseWriter, r *http.Request) {
	p, ok := a.provider(w, r)
	if !ok {
		return
	}
	params := p.CallbackParams(r)
	p.ClearCookie(w)
	s, tok, err := a.logins.LoginWith(r.Context(), p, params)
	a.countLogin(r, err)
	if errors.Is(err, oidc.ErrUnverifiedEmail) {
		err = login.ErrUnverifiedIdentity
	}
	if err != nil {
		login.WriteError(w, err)
		return
	}
	if !s.HasRole(session.RolePendingTOTP) {
		if err := a.ensureProfileFor(r, s.UID); err != nil {
			a.log.ErrorContext(r.Context(), "profile", "uid", s.UID, "err", err)
			writeProblem(w, http.StatusInternalServerError, "http.500", "")
			return
		}
	}
	writeJSON(w, http.StatusOK, newTokenBody(s, tok))
}
