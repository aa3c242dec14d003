package apikey_test

// Regression tests for the API-key defects of the Python original. Each
// attacks the way the defect was exploited and passes because the attack
// fails.

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/apikey"
)

// apicrud cached API keys by prefix and, on a cache hit, accepted any
// secret. Here the secret is hashed and compared on every call.
func TestDefect3_APIKeyCacheBypass(t *testing.T) {
	keys := newKeys(t, apikey.WithCache(time.Hour))
	ctx := t.Context()
	k, _, err := keys.Create(ctx, "u-victim", "ci", []string{"full"}, time.Time{})
	require.NoError(t, err)
	_, err = keys.Verify(ctx, k.Reveal()) // the key is now cached
	require.NoError(t, err)
	// The attacker knows the public prefix and tries secrets.
	for _, guess := range []string{
		strings.Repeat("A", 43), strings.Repeat("_", 32), base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
		strings.SplitN(k.Reveal(), ".", 2)[1][:42] + "x", // all but the last character right
	} {
		_, err := keys.Verify(ctx, k.Prefix()+"."+guess)
		require.ErrorIs(t, err, apikey.ErrInvalid, guess)
		_, _, _, err = keys.VerifyAPIKey(ctx, k.Prefix()+"."+guess)
		require.ErrorIs(t, err, apikey.ErrInvalid)
	}
	_, err = keys.Verify(ctx, k.Reveal())
	require.NoError(t, err, "the owner still gets in")
}

// Only a hash of the secret is stored; nothing in the
// store can be replayed as a key.
func TestDefect3_OnlyHashStored(t *testing.T) {
	store := apikey.NewMemoryStore()
	defer store.Close(context.Background())
	keys := newKeys(t, apikey.WithStore(store))
	k, _, err := keys.Create(t.Context(), "u", "ci", nil, time.Time{})
	require.NoError(t, err)
	_, secret, _ := strings.Cut(k.Reveal(), ".")
	stored, err := store.Get(t.Context(), k.Prefix())
	require.NoError(t, err)
	require.NotContains(t, fmt.Sprintf("%#v", stored), secret)
	v := reflect.ValueOf(stored)
	for i := range v.NumField() {
		require.NotContains(t, fmt.Sprint(v.Field(i).Interface()), secret, v.Type().Field(i).Name)
	}
	_, err = keys.Verify(t.Context(), k.Prefix()+"."+base64.RawURLEncoding.EncodeToString(stored.Hash[:]))
	require.ErrorIs(t, err, apikey.ErrInvalid, "the stored hash is not a key")
}

// apicrud's secrets came from Python's random with 192 bits at best. Here
// they are 256 bits from crypto/rand: 1,000 keys share no secret and no
// prefix, and the secret bytes look uniform.
func TestDefect7_WeakAPIKeyRandomness(t *testing.T) {
	keys := newKeys(t, apikey.WithMaxScopes(0))
	seen := map[string]bool{}
	var ones, bits int
	for i := range 1000 {
		k, _, err := keys.Create(t.Context(), "u", fmt.Sprint("k", i), nil, time.Time{})
		require.NoError(t, err)
		prefix, secret, _ := strings.Cut(k.Reveal(), ".")
		require.False(t, seen[prefix] || seen[secret])
		seen[prefix], seen[secret] = true, true
		raw, err := base64.RawURLEncoding.DecodeString(secret)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(raw)*8, 192)
		for _, b := range raw {
			for ; b != 0; b &= b - 1 {
				ones++
			}
			bits += 8
		}
	}
	ratio := float64(ones) / float64(bits)
	require.InDelta(t, 0.5, ratio, 0.01, "bit balance of 256,000 secret bits")
}

// apicrud's revocation waited up to redis_ttl per process. Without a cache a
// revocation applies to every instance at once; with one, at once on the
// revoking instance (TestAPIKeyCache covers the ttl on others).
func TestDefect18_APIKeyRevocationLatency(t *testing.T) {
	store := apikey.NewMemoryStore()
	defer store.Close(context.Background())
	a := newKeys(t, apikey.WithStore(store))
	b := newKeys(t, apikey.WithStore(store))
	k, rec, err := a.Create(t.Context(), "u", "k", nil, time.Time{})
	require.NoError(t, err)
	_, err = b.Verify(t.Context(), k.Reveal())
	require.NoError(t, err)
	require.NoError(t, a.Revoke(t.Context(), rec.Prefix))
	_, err = b.Verify(t.Context(), k.Reveal())
	require.ErrorIs(t, err, apikey.ErrRevoked)
}

// apicrud's API-key callers had no account id (and shared a TOTP replay key).
// A key's principal carries the owner's account id and the key id.
func TestQuirk_APIKeyPrincipalIdentity(t *testing.T) {
	keys := newKeys(t, apikey.WithOwners(apikey.OwnerFunc(func(context.Context, string) (apikey.Owner, error) {
		return apikey.Owner{Roles: []string{"user"}, AccountID: "x-acc1"}, nil
	})))
	k, rec, err := keys.Create(t.Context(), "u", "k", nil, time.Time{})
	require.NoError(t, err)
	c, err := keys.Verify(t.Context(), k.Reveal())
	require.NoError(t, err)
	require.Equal(t, "x-acc1", c.AccountID)
	require.Equal(t, rec.Prefix, c.KeyID)
}
