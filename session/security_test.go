package session_test

// Regression tests named after the defects of the Python apicrud listed in
// its behaviour study (§20). Each attacks this package the way the defect
// was exploited and passes because the attack fails.

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

// §20.1: the forgot-password and confirmation flows returned the token in
// the HTTP response. Here tokens only reach the Notifier: neither the
// response of a handler built on the API nor the logs contain them.
// §20.2: PUT /account_password/{uid} accepted any valid token for any uid,
// so an attacker's own reset token took over the admin account. Here the
// account comes from the signed token itself.
// countingKeys counts verifications.
type countingKeys struct{ n atomic.Int64 }

func (c *countingKeys) VerifyAPIKey(ctx context.Context, key string) (string, []string, []string, error) {
	c.n.Add(1)
	return apiKeys{}.VerifyAPIKey(ctx, key)
}

// §20.3: a cached API-key prefix skipped the secret check. Here every
// request goes to the verifier, whatever came before.
func TestDefect03_APIKeyVerifiedOnEveryRequest(t *testing.T) {
	keys := &countingKeys{}
	e := newEnv(t, session.WithAPIKeys(keys))
	h := e.m.Authenticate(http.HandlerFunc(echo))
	for i, key := range []string{"abcd1234.secret", "abcd1234.secret", "abcd1234.guessed", "abcd1234.secret"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-Api-Key", key)
		w := serve(h, r)
		if strings.HasSuffix(key, "guessed") {
			require.Equal(t, http.StatusUnauthorized, w.Code, "a right prefix with a wrong secret")
		} else {
			require.Equal(t, http.StatusOK, w.Code)
		}
		require.Equal(t, int64(i+1), keys.n.Load())
	}
}

// §20.6: sessions were AES-CBC without a MAC, so Redis write access
// flipped "user" to "admin". Here stored sessions are authenticated and
// bound to their key: altered or transplanted data is refused.
func TestDefect06_StoredSessionsCannotBeAltered(t *testing.T) {
	e := newEnv(t)
	user, utok, err := e.m.Create(t.Context(), "u-user", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	admin, atok, err := e.m.Create(t.Context(), "u-admin", []string{"admin", "user"}, session.Extra{})
	require.NoError(t, err)
	_, u2tok, err := e.m.Create(t.Context(), "u-user", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	adminEntry, _, _ := e.store.Get(t.Context(), "u-admin", admin.ID, 0, 0, nil)
	userEntry, _, _ := e.store.Get(t.Context(), "u-user", user.ID, 0, 0, nil)

	// Bit flips anywhere in the sealed bytes.
	for _, i := range []int{0, 12, len(userEntry.Data) / 2, len(userEntry.Data) - 1} {
		flipped := bytes.Clone(userEntry.Data)
		flipped[i] ^= 0x01
		ok, err := e.store.Replace(t.Context(), "u-user", user.ID, userEntry.Data, flipped)
		require.NoError(t, err)
		require.True(t, ok)
		_, err = e.m.Validate(t.Context(), string(utok))
		require.ErrorIs(t, err, session.ErrInvalidToken, "flipped byte %d", i)
		_, err = e.store.Replace(t.Context(), "u-user", user.ID, flipped, userEntry.Data)
		require.NoError(t, err)
	}
	// The admin's sealed session copied over the user's.
	ok, err := e.store.Replace(t.Context(), "u-user", user.ID, userEntry.Data, adminEntry.Data)
	require.NoError(t, err)
	require.True(t, ok)
	_, err = e.m.Validate(t.Context(), string(utok))
	require.ErrorIs(t, err, session.ErrInvalidToken, "a transplanted session must not open")
	// The genuine sessions still work.
	s, err := e.m.Validate(t.Context(), string(atok))
	require.NoError(t, err)
	require.Equal(t, []string{"admin", "user"}, s.Roles)
	_, err = e.m.Validate(t.Context(), string(u2tok))
	require.NoError(t, err)
}

// §20.7 and §20.8: 8-character tokens with about 30 bits from a
// non-cryptographic generator, stored under their last 3 characters. Here
// the secret has 256 bits from crypto/rand, and the store only ever sees
// its SHA-256.
func TestDefect07_08_TokensStrongAndHashedAtRest(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	var jtis []string
	for range 300 {
		_, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
		require.NoError(t, err)
		jti := claimsOf(t, tok)["jti"].(string)
		raw, err := base64.RawURLEncoding.DecodeString(jti)
		require.NoError(t, err)
		require.Len(t, raw, 32)
		require.False(t, seen[jti[len(jti)-3:]+jti], "duplicate token")
		seen[jti[len(jti)-3:]+jti] = true
		jtis = append(jtis, jti)
	}
	entries, err := e.store.List(t.Context(), "u-1")
	require.NoError(t, err)
	require.Len(t, entries, 300, "no two sessions of one user collide")
	for _, en := range entries {
		for _, jti := range jtis[:20] {
			require.NotContains(t, en.ID, jti)
			require.False(t, bytes.Contains(en.Data, []byte(jti)), "the token secret must not be stored")
		}
	}
}

// §20.9: the JWT was never verified; clients sent Basic "sub:jti". Here a
// forged or unsigned JWT fails, and Basic credentials are refused.
func TestDefect09_JWTIsVerified(t *testing.T) {
	e := newEnv(t)
	_, tok, err := e.m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	c := claimsOf(t, tok)
	c["auth"] = []string{"admin"}
	unsigned := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, c)
	_, err = e.m.Validate(t.Context(), unsigned)
	require.ErrorIs(t, err, session.ErrInvalidToken)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth("u-1", c["jti"].(string))
	require.Equal(t, http.StatusUnauthorized, serve(e.m.Authenticate(http.HandlerFunc(echo)), r).Code)
}

// §20.10: MD5, SHA-1 and unsalted SHA-256. Here passwords are argon2id
// and the original's sha256_crypt hashes are replaced at the next login
// (TestPasswordMigration).
// §20.11: after one backup code was used, the rest were written back in
// plain text and stopped working. Here each code works once and the rest
// keep working, stored as digests.
// §20.12: the TOTP bypass cookie was any session token of the user; TOTP
// could be turned off without a second factor; the pendingtotp session
// survived; an API-key holder could complete another user's TOTP login.
// §20.14: lockout keyed by the typed username (anyone could lock anyone
// out, and alternating username and e-mail dodged it), anonymous traffic
// unlimited, Redis errors failing open.
// §20.18: status changes did not end existing sessions.
// §20.21: the session update was a racy read-modify-write.
func TestDefect21_SessionUpdatesAreAtomic(t *testing.T) {
	e := newEnv(t)
	s, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			cp := *s
			if err := e.m.Update(t.Context(), &cp, string(rune('a'+i)), "x"); err != nil {
				t.Errorf("update: %v", err)
			}
		})
	}
	wg.Wait()
	got, err := e.m.Validate(t.Context(), string(tok))
	require.NoError(t, err)
	require.Len(t, got.Values, 16)
}
