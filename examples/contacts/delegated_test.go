package main

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testIdentityKey = []byte("0123456789abcdef0123456789abcdef")

// signed returns an assertion for a, signed with testIdentityKey.
func signed(t testing.TB, a any) string {
	t.Helper()
	data, err := json.Marshal(a)
	require.NoError(t, err)
	payload := base64.RawURLEncoding.EncodeToString(data)
	return payload + "." + base64.RawURLEncoding.EncodeToString(signAssertion(testIdentityKey, payload))
}

// TestTestIdentityProviderRefusesHostileAssertions: only an assertion
// signed with the key, unexpired and expiring soon, gives an identity.
func TestTestIdentityProviderRefusesHostileAssertions(t *testing.T) {
	p := &signedIdentityProvider{key: testIdentityKey}
	soon := time.Now().Add(time.Minute).Unix()
	good := signed(t, testAssertion{Email: "a@example.com", EmailVerified: true, Expires: soon})
	id, err := p.Exchange(t.Context(), url.Values{"assertion": {good}})
	require.NoError(t, err)
	require.Equal(t, "a@example.com", id.Email)
	require.Equal(t, "test", id.Provider)

	payload, sig, _ := strings.Cut(good, ".")
	other := &signedIdentityProvider{key: []byte("another key, also thirty-two bytes")}
	for name, assertion := range map[string]string{
		"empty":                      "",
		"no signature":               payload,
		"empty signature":            payload + ".",
		"bad base64 sig":             payload + ".!!!",
		"signature of other payload": signed(t, testAssertion{Email: "b@example.com", Expires: soon})[:len(payload)] + "." + sig,
		"tampered payload":           "f" + payload[1:] + "." + sig, // payloads start "eyJ"
		"expired":                    signed(t, testAssertion{Email: "a@example.com", EmailVerified: true, Expires: time.Now().Add(-time.Second).Unix()}),
		"expires too late":           signed(t, testAssertion{Email: "a@example.com", EmailVerified: true, Expires: time.Now().Add(time.Hour).Unix()}),
		"no expiry":                  signed(t, map[string]any{"email": "a@example.com", "email_verified": true}),
		"not an object":              signed(t, []int{1}),
		"null":                       signed(t, nil),
		"string exp":                 signed(t, map[string]any{"email": "a@example.com", "exp": "9999999999"}),
		"huge":                       strings.Repeat("A", 5000) + "." + sig,
	} {
		_, err := p.Exchange(t.Context(), url.Values{"assertion": {assertion}})
		require.ErrorIs(t, err, errBadAssertion, name)
	}
	_, err = other.Exchange(t.Context(), url.Values{"assertion": {good}})
	require.ErrorIs(t, err, errBadAssertion, "signed with another key")
}

func FuzzTestIdentityProvider(f *testing.F) {
	f.Add(signed(f, testAssertion{Email: "a@example.com", Expires: time.Now().Add(time.Minute).Unix()}))
	f.Add("x.y")
	f.Add("")
	p := &signedIdentityProvider{key: testIdentityKey}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := p.Exchange(t.Context(), url.Values{"assertion": {s}})
		if err == nil && id.Provider != testProviderName {
			t.Fatalf("identity %+v from %q", id, s)
		}
	})
}
