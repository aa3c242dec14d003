package apikey_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/apikey"
	"github.com/apicrud-go/apicrud/apikey/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) apikey.Store {
		s := apikey.NewMemoryStore()
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return s
	})
}

func TestMemoryStoreClosed(t *testing.T) {
	s := apikey.NewMemoryStore()
	require.NoError(t, s.Close(t.Context()))
	ctx := t.Context()
	require.ErrorIs(t, s.Create(ctx, apikey.Record{Prefix: "abcdefgh"}), apikey.ErrClosed)
	_, err := s.Get(ctx, "abcdefgh")
	require.ErrorIs(t, err, apikey.ErrClosed)
	_, err = s.List(ctx, "u")
	require.ErrorIs(t, err, apikey.ErrClosed)
	require.ErrorIs(t, s.Touch(ctx, "abcdefgh", time.Now()), apikey.ErrClosed)
	require.ErrorIs(t, s.SetStatus(ctx, "abcdefgh", apikey.StatusRevoked), apikey.ErrClosed)
	require.ErrorIs(t, s.Delete(ctx, "abcdefgh"), apikey.ErrClosed)
}

func newKeys(t *testing.T, opts ...apikey.Option) *apikey.Manager {
	t.Helper()
	k, err := apikey.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = k.Close(context.Background()) })
	return k
}

func TestAPIKeyLifecycle(t *testing.T) {
	owners := apikey.OwnerFunc(func(_ context.Context, uid string) (apikey.Owner, error) {
		if uid == "u-disabled" {
			return apikey.Owner{}, errors.New("account disabled")
		}
		return apikey.Owner{Roles: []string{"user", "list-x-1-member"}, AccountID: "x-acc-" + uid}, nil
	})
	keys := newKeys(t, apikey.WithOwners(owners))
	ctx := t.Context()
	k, rec, err := keys.Create(ctx, "u-1", "deploy", []string{"readonly", "full", "full"}, time.Time{})
	require.NoError(t, err)
	require.Equal(t, k.Prefix(), rec.Prefix)
	require.Equal(t, []string{"full", "readonly"}, rec.Scopes)
	require.Equal(t, apikey.StatusActive, rec.Status)

	c, err := keys.Verify(ctx, k.Reveal())
	require.NoError(t, err)
	require.Equal(t, apikey.Caller{UID: "u-1", Roles: []string{"list-x-1-member", "user"}, Scopes: []string{"full", "readonly"},
		AccountID: "x-acc-u-1", KeyID: rec.Prefix}, c, "roles and scopes sorted")
	require.Equal(t, "apikey", apikey.Method, "the method name sessions and principals carry")

	uid, roles, scopes, err := keys.VerifyAPIKey(ctx, k.Reveal())
	require.NoError(t, err)
	require.Equal(t, "u-1", uid)
	require.Equal(t, []string{"list-x-1-member", "user"}, roles)
	require.Equal(t, []string{"full", "readonly"}, scopes)

	_, err = keys.Verify(ctx, k.Prefix()+".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	require.ErrorIs(t, err, apikey.ErrInvalid, "wrong secret")
	_, err = keys.Verify(ctx, "zzzzzzzzzzzz."+strings.SplitN(k.Reveal(), ".", 2)[1])
	require.ErrorIs(t, err, apikey.ErrInvalid, "unknown prefix")
	_, err = keys.Verify(ctx, "nonsense")
	require.ErrorIs(t, err, apikey.ErrMalformed)
	_, _, _, err = keys.VerifyAPIKey(ctx, "nonsense")
	require.Error(t, err)

	list, err := keys.List(ctx, "u-1")
	require.NoError(t, err)
	require.Len(t, list, 1)
	got, err := keys.Get(ctx, rec.Prefix)
	require.NoError(t, err)
	require.False(t, got.LastUsed.IsZero())
	_, err = keys.Get(ctx, "bad prefix!")
	require.ErrorIs(t, err, apikey.ErrNotFound)

	require.NoError(t, keys.Revoke(ctx, rec.Prefix))
	_, err = keys.Verify(ctx, k.Reveal())
	require.ErrorIs(t, err, apikey.ErrRevoked)
	require.NoError(t, keys.Delete(ctx, rec.Prefix))
	_, err = keys.Verify(ctx, k.Reveal())
	require.ErrorIs(t, err, apikey.ErrInvalid)
	require.ErrorIs(t, keys.Delete(ctx, rec.Prefix), apikey.ErrNotFound)
	require.ErrorIs(t, keys.Revoke(ctx, "x"), apikey.ErrNotFound)
	require.ErrorIs(t, keys.Delete(ctx, "x"), apikey.ErrNotFound)

	k2, _, err := keys.Create(ctx, "u-disabled", "k", nil, time.Time{})
	require.NoError(t, err)
	_, err = keys.Verify(ctx, k2.Reveal())
	require.ErrorIs(t, err, apikey.ErrOwner)
	require.ErrorContains(t, err, "account disabled")
}

func TestAPIKeyCreateValidation(t *testing.T) {
	keys := newKeys(t, apikey.WithMaxScopes(2))
	ctx := t.Context()
	cases := []struct {
		name, uid, keyName string
		scopes             []string
		expires            time.Time
		err                error
	}{
		{"no owner", "", "k", nil, time.Time{}, apikey.ErrInvalidData},
		{"long owner", strings.Repeat("u", 129), "k", nil, time.Time{}, apikey.ErrInvalidData},
		{"no name", "u", "", nil, time.Time{}, apikey.ErrInvalidData},
		{"long name", "u", strings.Repeat("n", 65), nil, time.Time{}, apikey.ErrInvalidData},
		{"control in name", "u", "a\nb", nil, time.Time{}, apikey.ErrInvalidData},
		{"invalid UTF-8 name", "u", "a\xffb", nil, time.Time{}, apikey.ErrInvalidData},
		{"too many scopes", "u", "k", []string{"a", "b", "c"}, time.Time{}, apikey.ErrInvalidData},
		{"bad scope", "u", "k", []string{"a b"}, time.Time{}, apikey.ErrInvalidData},
		{"past expiry", "u", "k", nil, time.Now().Add(-time.Second), apikey.ErrInvalidData},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := keys.Create(ctx, c.uid, c.keyName, c.scopes, c.expires)
			require.ErrorIs(t, err, c.err)
		})
	}
	_, _, err := keys.Create(ctx, "u", "same", nil, time.Time{})
	require.NoError(t, err)
	_, _, err = keys.Create(ctx, "u", "same", nil, time.Time{})
	require.ErrorIs(t, err, apikey.ErrExists)
}

func TestAPIKeyOptions(t *testing.T) {
	for _, o := range []apikey.Option{apikey.WithStore(nil), apikey.WithOwners(nil), apikey.WithTouchInterval(time.Millisecond),
		apikey.WithCache(-1), apikey.WithPepper([]byte("short")), apikey.WithMaxScopes(-1), apikey.WithLogger(nil)} {
		_, err := apikey.New(o)
		require.ErrorIs(t, err, apikey.ErrOption)
	}
	keys, err := apikey.New()
	require.NoError(t, err)
	require.NoError(t, keys.Close(t.Context()))
	require.NoError(t, keys.Close(t.Context()), "idempotent")
	_, _, err = keys.Create(t.Context(), "u", "k", nil, time.Time{})
	require.ErrorIs(t, err, apikey.ErrClosed)
	_, err = keys.Verify(t.Context(), "abcdefgh.abcdefghabcdefghabcdefghabcdefgh")
	require.ErrorIs(t, err, apikey.ErrClosed)
	_, err = keys.Get(t.Context(), "abcdefgh")
	require.ErrorIs(t, err, apikey.ErrClosed)
	_, err = keys.List(t.Context(), "u")
	require.ErrorIs(t, err, apikey.ErrClosed)
	require.ErrorIs(t, keys.Revoke(t.Context(), "abcdefgh"), apikey.ErrClosed)
	require.ErrorIs(t, keys.Delete(t.Context(), "abcdefgh"), apikey.ErrClosed)
}

// countingStore counts the writes of LastUsed.
type countingStore struct {
	apikey.Store
	touches atomic.Int64
	gets    atomic.Int64
}

func (s *countingStore) Touch(ctx context.Context, prefix string, at time.Time) error {
	s.touches.Add(1)
	return s.Store.Touch(ctx, prefix, at)
}

func (s *countingStore) Get(ctx context.Context, prefix string) (apikey.Record, error) {
	s.gets.Add(1)
	return s.Store.Get(ctx, prefix)
}

// TestAPIKeyTouchInterval: LastUsed is written on first use, then at most
// once per interval (apicrud wrote it only for keys without expiry or
// already expired).
func TestAPIKeyTouchInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := apikey.NewMemoryStore()
		defer mem.Close(context.Background())
		store := &countingStore{Store: mem}
		keys, err := apikey.New(apikey.WithStore(store), apikey.WithTouchInterval(time.Hour))
		require.NoError(t, err)
		defer keys.Close(context.Background())
		ctx := context.Background()
		k, rec, err := keys.Create(ctx, "u", "k", nil, time.Now().Add(48*time.Hour))
		require.NoError(t, err)
		verify := func() {
			t.Helper()
			_, err := keys.Verify(ctx, k.Reveal())
			require.NoError(t, err)
		}
		verify()
		require.Equal(t, int64(1), store.touches.Load(), "first use recorded")
		first, _ := keys.Get(ctx, rec.Prefix)
		require.True(t, first.LastUsed.Equal(time.Now().UTC().Truncate(time.Millisecond)))
		for range 10 {
			time.Sleep(5 * time.Minute)
			verify()
		}
		require.Equal(t, int64(1), store.touches.Load(), "not again within the hour")
		time.Sleep(11 * time.Minute)
		verify()
		require.Equal(t, int64(2), store.touches.Load())
		got, _ := keys.Get(ctx, rec.Prefix)
		require.Equal(t, time.Hour+time.Minute, got.LastUsed.Sub(first.LastUsed))
	})
}

func TestAPIKeyExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keys, err := apikey.New()
		require.NoError(t, err)
		defer keys.Close(context.Background())
		ctx := context.Background()
		k, _, err := keys.Create(ctx, "u", "k", nil, time.Now().Add(time.Hour))
		require.NoError(t, err)
		_, err = keys.Verify(ctx, k.Reveal())
		require.NoError(t, err)
		time.Sleep(time.Hour - time.Millisecond)
		_, err = keys.Verify(ctx, k.Reveal())
		require.NoError(t, err)
		time.Sleep(time.Millisecond)
		_, err = keys.Verify(ctx, k.Reveal())
		require.ErrorIs(t, err, apikey.ErrExpired)
		_, err = keys.Verify(ctx, k.Prefix()+".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		require.ErrorIs(t, err, apikey.ErrInvalid, "expiry is only revealed to holders of the secret")
	})
}

// TestAPIKeyCache: the cache saves store reads; a revocation through the
// same APIKeys applies at once, through another instance within the ttl.
func TestAPIKeyCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := apikey.NewMemoryStore()
		defer mem.Close(context.Background())
		store := &countingStore{Store: mem}
		a, err := apikey.New(apikey.WithStore(store), apikey.WithCache(30*time.Second))
		require.NoError(t, err)
		defer a.Close(context.Background())
		b, err := apikey.New(apikey.WithStore(store), apikey.WithCache(30*time.Second))
		require.NoError(t, err)
		defer b.Close(context.Background())
		ctx := context.Background()
		k, rec, err := a.Create(ctx, "u", "k", nil, time.Time{})
		require.NoError(t, err)
		for range 5 {
			_, err = a.Verify(ctx, k.Reveal())
			require.NoError(t, err)
		}
		require.Equal(t, int64(1), store.gets.Load(), "one store read for five verifications")
		_, err = b.Verify(ctx, k.Reveal())
		require.NoError(t, err)

		require.NoError(t, a.Revoke(ctx, rec.Prefix))
		_, err = a.Verify(ctx, k.Reveal())
		require.ErrorIs(t, err, apikey.ErrRevoked, "at once on the revoking instance")
		_, err = b.Verify(ctx, k.Reveal())
		require.NoError(t, err, "another instance within its cache ttl")
		time.Sleep(31 * time.Second)
		_, err = b.Verify(ctx, k.Reveal())
		require.ErrorIs(t, err, apikey.ErrRevoked, "after the ttl")
	})
}

func TestAPIKeyPepper(t *testing.T) {
	store := apikey.NewMemoryStore()
	defer store.Close(context.Background())
	pepper := bytes.Repeat([]byte{1}, 32)
	a := newKeys(t, apikey.WithStore(store), apikey.WithPepper(pepper))
	k, rec, err := a.Create(t.Context(), "u", "k", nil, time.Time{})
	require.NoError(t, err)
	_, err = a.Verify(t.Context(), k.Reveal())
	require.NoError(t, err)
	_, secret, _ := strings.Cut(k.Reveal(), ".")
	require.NotEqual(t, sha256.Sum256([]byte(secret)), rec.Hash, "HMAC, not a bare hash")
	other := newKeys(t, apikey.WithStore(store), apikey.WithPepper(bytes.Repeat([]byte{2}, 32)))
	_, err = other.Verify(t.Context(), k.Reveal())
	require.ErrorIs(t, err, apikey.ErrInvalid)
	plain := newKeys(t, apikey.WithStore(store))
	_, err = plain.Verify(t.Context(), k.Reveal())
	require.ErrorIs(t, err, apikey.ErrInvalid)
}

func TestKeyFormat(t *testing.T) {
	keys := newKeys(t, apikey.WithMaxScopes(0))
	seen := map[string]bool{}
	for i := range 200 {
		k, rec, err := keys.Create(t.Context(), "u", fmt.Sprintf("k%d", i), nil, time.Time{})
		require.NoError(t, err)
		prefix, secret, ok := strings.Cut(k.Reveal(), ".")
		require.True(t, ok)
		require.Len(t, prefix, apikey.PrefixLen)
		require.Equal(t, rec.Prefix, prefix)
		require.Regexp(t, `^[a-z0-9]{12}$`, prefix)
		raw, err := base64.RawURLEncoding.DecodeString(secret)
		require.NoError(t, err)
		require.Len(t, raw, apikey.SecretBytes)
		require.GreaterOrEqual(t, len(raw)*8, 192)
		require.Equal(t, sha256.Sum256([]byte(secret)), rec.Hash)
		require.False(t, seen[prefix] || seen[secret])
		seen[prefix], seen[secret] = true, true
		parsed, err := apikey.Parse(k.Reveal())
		require.NoError(t, err)
		require.Equal(t, k, parsed)
	}
}

// TestKeyRedaction: a Key never shows its secret by accident.
func TestKeyRedaction(t *testing.T) {
	keys := newKeys(t)
	k, rec, err := keys.Create(t.Context(), "u", "k", nil, time.Time{})
	require.NoError(t, err)
	_, secret, _ := strings.Cut(k.Reveal(), ".")
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("created", "key", k, "rec", rec)
	body, err := json.Marshal(struct {
		Key apikey.Key `json:"key"`
	}{k})
	require.NoError(t, err)
	outs := []string{
		fmt.Sprint(k), fmt.Sprintf("%v %s %+v %#v %q %x", k, k, k, k, k, k),
		fmt.Sprintf("%v", struct{ K apikey.Key }{k}), fmt.Errorf("with %v", k).Error(),
		buf.String(), string(body), k.String(), k.GoString(),
	}
	for _, out := range outs {
		require.NotContains(t, out, secret)
	}
	require.Contains(t, k.String(), k.Prefix())
	require.Equal(t, k.Prefix()+".[REDACTED]", k.String())
	require.NotContains(t, buf.String(), fmt.Sprintf("%x", rec.Hash[:4]), "the hash is not logged either")
}
