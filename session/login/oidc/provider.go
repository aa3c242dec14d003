package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/apicrud-go/apicrud/session/login"
)

// Sealer encrypts and authenticates the state cookie. The apicrud crypto
// package's *Cipher (AES-256-GCM) implements it. Open must reject any
// ciphertext not made by Seal with the same additionalData.
type Sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(ciphertext, additionalData []byte) ([]byte, error)
}

// Config describes a provider.
type Config struct {
	// Name is the provider's short name: Identity.Provider, and the
	// {provider} of the host's routes. Letters, digits, '-' and '_'.
	Name string
	// Issuer is the OpenID Connect issuer URL; its discovery document is
	// read by New. Unused by NewOAuth2.
	Issuer string
	// ClientID and ClientSecret are the client's credentials at the
	// provider.
	ClientID, ClientSecret string
	// RedirectURL is the host's callback URL, as registered at the
	// provider.
	RedirectURL string
	// Scopes asked for. Default for New: openid, email, profile ("openid"
	// is always added).
	Scopes []string
	// AuthURL and TokenURL are the OAuth2 endpoints of a provider without
	// discovery (NewOAuth2 only).
	AuthURL, TokenURL string
}

// Google returns the Config of Google's OpenID Connect provider.
func Google(clientID, clientSecret, redirectURL string) Config {
	return Config{Name: "google", Issuer: "https://accounts.google.com", ClientID: clientID, ClientSecret: clientSecret,
		RedirectURL: redirectURL, Scopes: []string{gooidc.ScopeOpenID, "email", "profile"}}
}

// UserInfoFunc reads the identity of the user an OAuth2 provider without
// OpenID Connect authorized, with client (which sends the access token).
// It must set EmailVerified only when the provider vouches for the
// address.
type UserInfoFunc func(ctx context.Context, client *http.Client) (login.Identity, error)

// Option configures New and NewOAuth2.
type Option func(*config) error

type config struct {
	client   *http.Client
	cookie   string
	path     string
	stateTTL time.Duration
	now      func() time.Time
}

// Defaults.
const (
	// DefaultStateTTL is how long a login may take at the provider.
	DefaultStateTTL = 10 * time.Minute
	// DefaultCookiePrefix prefixes the state cookie's name, followed by
	// the provider's name.
	DefaultCookiePrefix = "apicrud_oidc_"
	// StateCookieParam is the parameter under which CallbackParams passes
	// the state cookie to Exchange.
	StateCookieParam = "apicrud_state_cookie"
)

// WithHTTPClient sets the client used to talk to the provider (discovery,
// keys, code exchange, user info). Default: http.DefaultClient.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) error {
		if c == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrConfig)
		}
		cfg.client = c
		return nil
	}
}

// WithStateTTL sets how long the state cookie, and so a login at the
// provider, lasts. Default: DefaultStateTTL (10 min).
func WithStateTTL(d time.Duration) Option {
	return func(cfg *config) error {
		if d < time.Second || d > time.Hour {
			return fmt.Errorf("%w: state lifetime %v outside [1s, 1h]", ErrConfig, d)
		}
		cfg.stateTTL = d
		return nil
	}
}

// WithCookiePath sets the Path of the state cookie. Default: "/".
func WithCookiePath(p string) Option {
	return func(cfg *config) error {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "; \t\r\n") {
			return fmt.Errorf("%w: cookie path %q", ErrConfig, p)
		}
		cfg.path = p
		return nil
	}
}

// Provider is one identity provider of delegated login: it starts a login
// (Start) and completes it (Exchange, which implements
// login.IdentityProvider). It is safe for concurrent use by multiple
// goroutines; use New or NewOAuth2.
type Provider struct {
	name     string
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier // nil for NewOAuth2
	provider *gooidc.Provider        // nil for NewOAuth2
	userInfo UserInfoFunc            // NewOAuth2 only
	sealer   Sealer
	cfg      config
}

func newConfig(c Config, sealer Sealer, opts []Option) (config, error) {
	cfg := config{client: http.DefaultClient, path: "/", stateTTL: DefaultStateTTL, now: time.Now}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return cfg, err
		}
	}
	if sealer == nil {
		return cfg, fmt.Errorf("%w: nil Sealer", ErrConfig)
	}
	if c.Name == "" || len(c.Name) > 32 || strings.IndexFunc(c.Name, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_'
	}) >= 0 {
		return cfg, fmt.Errorf("%w: provider name %q", ErrConfig, c.Name)
	}
	if c.ClientID == "" {
		return cfg, fmt.Errorf("%w: empty client id", ErrConfig)
	}
	if u, err := url.Parse(c.RedirectURL); err != nil || !u.IsAbs() {
		return cfg, fmt.Errorf("%w: redirect URL %q is not absolute", ErrConfig, c.RedirectURL)
	}
	cfg.cookie = DefaultCookiePrefix + c.Name
	return cfg, nil
}

// New returns the OpenID Connect provider c describes: it reads the
// issuer's discovery document (ctx bounds that request) and verifies ID
// tokens with the issuer's keys, for issuer, audience (the client id),
// expiry and nonce. A login uses the authorization code flow with PKCE
// (S256), and state and nonce bound to the browser by a sealed cookie.
func New(ctx context.Context, c Config, sealer Sealer, opts ...Option) (*Provider, error) {
	cfg, err := newConfig(c, sealer, opts)
	if err != nil {
		return nil, err
	}
	if c.Issuer == "" {
		return nil, fmt.Errorf("%w: empty issuer", ErrConfig)
	}
	op, err := gooidc.NewProvider(gooidc.ClientContext(ctx, cfg.client), c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discovery of %s: %w", c.Issuer, err)
	}
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = []string{"email", "profile"}
	}
	if !slices.Contains(scopes, gooidc.ScopeOpenID) {
		scopes = append([]string{gooidc.ScopeOpenID}, scopes...)
	}
	return &Provider{
		name:     c.Name,
		oauth:    oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL, Endpoint: op.Endpoint(), Scopes: scopes},
		verifier: op.VerifierContext(gooidc.ClientContext(context.WithoutCancel(ctx), cfg.client), &gooidc.Config{ClientID: c.ClientID, Now: cfg.now}),
		provider: op,
		sealer:   sealer,
		cfg:      cfg,
	}, nil
}

// NewOAuth2 returns a provider that speaks plain OAuth2 (authorization
// code with PKCE, and the same state cookie) and learns the user's
// identity from userInfo, for providers without OpenID Connect such as
// Facebook:
//
//	fb, err := oidc.NewOAuth2(oidc.Config{Name: "facebook",
//		AuthURL: "https://www.facebook.com/v19.0/dialog/oauth",
//		TokenURL: "https://graph.facebook.com/v19.0/oauth/access_token",
//		ClientID: id, ClientSecret: secret, RedirectURL: callback, Scopes: []string{"email"}},
//		sealer, func(ctx context.Context, c *http.Client) (login.Identity, error) {
//			// GET https://graph.facebook.com/me?fields=id,name,email with c;
//			// set EmailVerified only if the provider vouches for the address.
//		})
func NewOAuth2(c Config, sealer Sealer, userInfo UserInfoFunc, opts ...Option) (*Provider, error) {
	cfg, err := newConfig(c, sealer, opts)
	if err != nil {
		return nil, err
	}
	if userInfo == nil || c.AuthURL == "" || c.TokenURL == "" {
		return nil, fmt.Errorf("%w: an OAuth2 provider needs AuthURL, TokenURL and a user-info function", ErrConfig)
	}
	return &Provider{
		name:     c.Name,
		oauth:    oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL, Endpoint: oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL}, Scopes: c.Scopes},
		userInfo: userInfo,
		sealer:   sealer,
		cfg:      cfg,
	}, nil
}

// Name returns the provider's name.
func (p *Provider) Name() string { return p.name }

// state is the sealed content of the state cookie.
type state struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"` // unix seconds
}

func (p *Provider) additionalData() []byte { return []byte("apicrud/oidc-state\x00" + p.name) }

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Start begins a login: it sets the state cookie (HttpOnly, Secure,
// SameSite=Lax, sealed: random state, nonce and PKCE verifier, expiring
// with WithStateTTL) and answers 302 to the provider's authorization
// endpoint.
func (p *Provider) Start(w http.ResponseWriter, r *http.Request) {
	st := state{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Expires: p.cfg.now().Add(p.cfg.stateTTL).Unix()}
	data, err := json.Marshal(st)
	if err == nil {
		data, err = p.sealer.Seal(data, p.additionalData())
	}
	if err != nil {
		http.Error(w, "login unavailable", http.StatusServiceUnavailable)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: p.cfg.cookie, Value: base64.RawURLEncoding.EncodeToString(data), Path: p.cfg.path,
		MaxAge: int(p.cfg.stateTTL / time.Second), HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(st.Verifier)}
	if p.verifier != nil {
		opts = append(opts, gooidc.Nonce(st.Nonce))
	}
	http.Redirect(w, r, p.oauth.AuthCodeURL(st.State, opts...), http.StatusFound)
}

// CallbackParams returns the parameters of the provider's callback
// request r for Exchange (or login's LoginWith): its query, and the
// state cookie under StateCookieParam.
func (p *Provider) CallbackParams(r *http.Request) url.Values {
	q := r.URL.Query()
	q.Del(StateCookieParam)
	if c, err := r.Cookie(p.cfg.cookie); err == nil {
		q.Set(StateCookieParam, c.Value)
	}
	return q
}

// ClearCookie drops the state cookie: a callback is answered once.
func (p *Provider) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: p.cfg.cookie, Path: p.cfg.path, MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

// maxParam bounds every callback parameter.
const maxParam = 4096

// openState checks the state cookie and the state parameter of params.
func (p *Provider) openState(params url.Values) (*state, error) {
	raw, got := params.Get(StateCookieParam), params.Get("state")
	if raw == "" || got == "" || len(raw) > maxParam || len(got) > maxParam {
		return nil, fmt.Errorf("%w: no state cookie or parameter", ErrState)
	}
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: cookie encoding", ErrState)
	}
	data, err := p.sealer.Open(sealed, p.additionalData())
	if err != nil {
		return nil, fmt.Errorf("%w: cookie does not open", ErrState)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil || st.State == "" || st.Nonce == "" || st.Verifier == "" {
		return nil, fmt.Errorf("%w: cookie content", ErrState)
	}
	if p.cfg.now().Unix() >= st.Expires {
		return nil, fmt.Errorf("%w: expired", ErrState)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(st.State)) != 1 {
		return nil, fmt.Errorf("%w: state parameter differs", ErrState)
	}
	return &st, nil
}

// Exchange completes a login from the callback's parameters (use
// CallbackParams): it checks the state against the sealed cookie, redeems
// the code with the PKCE verifier, verifies the ID token (signature,
// issuer, audience, expiry, nonce), reads the e-mail address from it or
// from the user-info endpoint, and requires email_verified. It implements
// login.IdentityProvider.
func (p *Provider) Exchange(ctx context.Context, params url.Values) (login.Identity, error) {
	st, err := p.openState(params)
	if err != nil {
		return login.Identity{}, err
	}
	if e := params.Get("error"); e != "" {
		return login.Identity{}, fmt.Errorf("%w: %.64q", ErrProvider, e)
	}
	code := params.Get("code")
	if code == "" || len(code) > maxParam {
		return login.Identity{}, fmt.Errorf("%w: no code", ErrProvider)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.cfg.client)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return login.Identity{}, fmt.Errorf("%w: code exchange: %w", ErrProvider, err)
	}
	var id login.Identity
	if p.verifier == nil {
		if id, err = p.userInfo(ctx, p.oauth.Client(ctx, tok)); err != nil {
			return login.Identity{}, fmt.Errorf("%w: user info: %w", ErrProvider, err)
		}
	} else if id, err = p.identity(ctx, tok, st.Nonce); err != nil {
		return login.Identity{}, err
	}
	id.Provider = p.name
	if id.Subject == "" || id.Email == "" {
		return login.Identity{}, fmt.Errorf("%w: no subject or e-mail address", ErrProvider)
	}
	if !id.EmailVerified {
		return login.Identity{}, ErrUnverifiedEmail
	}
	return id, nil
}

// claims are the identity claims of an ID token or user-info answer.
type claims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"` // a bool, or "true" from some providers
	Name          string `json:"name"`
}

func (c *claims) verified() bool {
	switch v := c.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// identity verifies the ID token of tok and reads the identity, from the
// user-info endpoint when the ID token holds no e-mail address.
func (p *Provider) identity(ctx context.Context, tok *oauth2.Token, nonce string) (login.Identity, error) {
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return login.Identity{}, fmt.Errorf("%w: no ID token", ErrIDToken)
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return login.Identity{}, fmt.Errorf("%w: %w", ErrIDToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return login.Identity{}, fmt.Errorf("%w: nonce mismatch", ErrIDToken)
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return login.Identity{}, fmt.Errorf("%w: claims: %w", ErrIDToken, err)
	}
	if c.Email == "" {
		ui, err := p.provider.UserInfo(gooidc.ClientContext(ctx, p.cfg.client), oauth2.StaticTokenSource(tok))
		if err != nil {
			return login.Identity{}, fmt.Errorf("%w: user info: %w", ErrProvider, err)
		}
		if ui.Subject != idt.Subject {
			return login.Identity{}, fmt.Errorf("%w: user info of another subject", ErrIDToken)
		}
		if err := ui.Claims(&c); err != nil {
			return login.Identity{}, fmt.Errorf("%w: user info claims: %w", ErrProvider, err)
		}
	}
	return login.Identity{Subject: idt.Subject, Email: c.Email, EmailVerified: c.verified(), Name: c.Name}, nil
}

var _ login.IdentityProvider = (*Provider)(nil)
