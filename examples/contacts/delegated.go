package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// identityProviders are the providers of delegated login, by the name in
// the path /auth/oidc/{provider}/callback. Today there is at most the test
// provider (test_identity_key); OpenID Connect providers join it later.
type identityProviders map[string]login.IdentityProvider

// newIdentityProviders returns the providers the configuration enables.
func newIdentityProviders(cfg *serviceConfig) identityProviders {
	ps := identityProviders{}
	if cfg.TestIdentityKey.IsSet() {
		ps[testProviderName] = &signedIdentityProvider{key: []byte(cfg.TestIdentityKey.Reveal())}
	}
	return ps
}

// testProviderName is the name of the test provider in the callback path.
const testProviderName = "test"

// testAssertionMaxAge bounds how far in the future an assertion may expire.
const testAssertionMaxAge = 10 * time.Minute

// testAssertion is what the test provider asserts about a user.
type testAssertion struct {
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
	Expires       int64  `json:"exp"` // Unix seconds
}

// signedIdentityProvider is the test identity provider: its callback
// parameter "assertion" is base64url(JSON testAssertion) "." base64url of
// the HMAC-SHA256 of the first part under test_identity_key. Whoever holds
// the key can log in as any address, as an identity provider can: it
// stands in for one in tests and must never be configured in production.
type signedIdentityProvider struct{ key []byte }

var errBadAssertion = errors.New("test identity provider: bad assertion")

// Exchange implements login.IdentityProvider.
func (p *signedIdentityProvider) Exchange(_ context.Context, params url.Values) (login.Identity, error) {
	payload, sig, ok := strings.Cut(params.Get("assertion"), ".")
	if !ok || len(payload) > 4096 {
		return login.Identity{}, errBadAssertion
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, signAssertion(p.key, payload)) {
		return login.Identity{}, errBadAssertion
	}
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return login.Identity{}, errBadAssertion
	}
	var a testAssertion
	if err := json.Unmarshal(data, &a); err != nil {
		return login.Identity{}, errBadAssertion
	}
	now := time.Now()
	if exp := time.Unix(a.Expires, 0); !exp.After(now) || exp.After(now.Add(testAssertionMaxAge)) {
		return login.Identity{}, errBadAssertion
	}
	return login.Identity{Provider: testProviderName, Subject: a.Subject, Email: a.Email, EmailVerified: a.EmailVerified, Name: a.Name}, nil
}

// signAssertion is the MAC of an assertion's payload.
func signAssertion(key []byte, payload string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("apicrud-contacts test identity\x00"))
	mac.Write([]byte(payload))
	return mac.Sum(nil)
}

// delegatedCallback is GET /auth/oidc/{provider}/callback: the provider's
// answer is exchanged for a session, as a login gives (200 with the token
// in the body, never in a URL). An unknown provider is 404; a refused
// assertion 401.
func (a *app) delegatedCallback(w http.ResponseWriter, r *http.Request) {
	p, ok := a.providers[r.PathValue("provider")]
	if !ok {
		writeProblem(w, http.StatusNotFound, "http.404", "")
		return
	}
	s, tok, err := a.logins.LoginWith(r.Context(), p, r.URL.Query())
	a.countLogin(r, err)
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
