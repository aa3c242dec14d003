package storetest

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/apikey"
)

// Run runs every case as a subtest, each on a fresh store from newStore,
// which must return an empty store of its own (a table, a schema or a
// key prefix per call) and register its clean-up with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) apikey.Store) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, s apikey.Store)
	}{
		{"CreateGet", testCreateGet},
		{"GetMissing", testGetMissing},
		{"Duplicates", testDuplicates},
		{"List", testList},
		{"Touch", testTouch},
		{"SetStatus", testSetStatus},
		{"Delete", testDelete},
		{"Isolation", testIsolation},
		{"ExactMatch", testExactMatch},
		{"ConcurrentCreate", testConcurrentCreate},
		{"ConcurrentTouch", testConcurrentTouch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newStore(t)) })
	}
}

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func key(prefix, uid, name string, created time.Time) apikey.Record {
	return apikey.Record{
		Prefix: prefix, Hash: sha256.Sum256([]byte("secret of " + prefix)), UID: uid, Name: name,
		Scopes: []string{"full", "metric"}, Status: apikey.StatusActive, Created: created,
	}
}

// equal compares two keys, times by instant.
func equal(t *testing.T, want, got apikey.Record) {
	t.Helper()
	require.Equal(t, want.Prefix, got.Prefix)
	require.Equal(t, want.Hash, got.Hash)
	require.Equal(t, want.UID, got.UID)
	require.Equal(t, want.Name, got.Name)
	require.ElementsMatch(t, want.Scopes, got.Scopes)
	require.Equal(t, want.Status, got.Status)
	require.True(t, want.Created.Equal(got.Created), "Created: want %v, got %v", want.Created, got.Created)
	require.True(t, want.Expires.Equal(got.Expires), "Expires: want %v, got %v", want.Expires, got.Expires)
	require.True(t, want.LastUsed.Equal(got.LastUsed), "LastUsed: want %v, got %v", want.LastUsed, got.LastUsed)
}

func testCreateGet(t *testing.T, s apikey.Store) {
	ctx := t.Context()
	k := key("abcdefgh1234", "u-1", "deploy bot ☃", base)
	k.Expires = base.Add(30 * 24 * time.Hour)
	require.NoError(t, s.Create(ctx, k))
	got, err := s.Get(ctx, k.Prefix)
	require.NoError(t, err)
	equal(t, k, got)

	never := key("abcdefgh5678", "u-1", "no expiry", base)
	never.Scopes = nil
	require.NoError(t, s.Create(ctx, never))
	got, err = s.Get(ctx, never.Prefix)
	require.NoError(t, err)
	require.True(t, got.Expires.IsZero())
	require.True(t, got.LastUsed.IsZero())
	require.Empty(t, got.Scopes)
}

func testGetMissing(t *testing.T, s apikey.Store) {
	_, err := s.Get(t.Context(), "zzzzzzzzzzzz")
	require.ErrorIs(t, err, apikey.ErrNotFound)
}

func testDuplicates(t *testing.T, s apikey.Store) {
	ctx := t.Context()
	require.NoError(t, s.Create(ctx, key("prefix000001", "u-1", "a", base)))
	require.ErrorIs(t, s.Create(ctx, key("prefix000001", "u-2", "b", base)), apikey.ErrExists, "same prefix")
	require.ErrorIs(t, s.Create(ctx, key("prefix000002", "u-1", "a", base)), apikey.ErrExists, "same owner and name")
	require.NoError(t, s.Create(ctx, key("prefix000003", "u-2", "a", base)), "same name, other owner")
	_, err := s.Get(ctx, "prefix000002")
	require.ErrorIs(t, err, apikey.ErrNotFound, "a refused create leaves nothing")
}

func testList(t *testing.T, s apikey.Store) {
	ctx := t.Context()
	require.NoError(t, s.Create(ctx, key("prefix00000c", "u-1", "third", base.Add(2*time.Second))))
	require.NoError(t, s.Create(ctx, key("prefix00000b", "u-1", "first-b", base)))
	require.NoError(t, s.Create(ctx, key("prefix00000a", "u-1", "first-a", base)))
	require.NoError(t, s.Create(ctx, key("prefix00000d", "u-2", "other", base)))
	list, err := s.List(ctx, "u-1")
	require.NoError(t, err)
	var prefixes []string
	for _, k := range list {
		prefixes = append(prefixes, k.Prefix)
		require.Equal(t, "u-1", k.UID)
	}
	require.Equal(t, []string{"prefix00000a", "prefix00000b", "prefix00000c"}, prefixes)
	list, err = s.List(ctx, "u-nobody")
	require.NoError(t, err)
	require.Empty(t, list)
}

func testTouch(t *testing.T, s apikey.Store) {
	ctx := t.Context()
	k := key("touch0000001", "u-1", "t", base)
	require.NoError(t, s.Create(ctx, k))
	at := base.Add(time.Hour)
	require.NoError(t, s.Touch(ctx, k.Prefix, at))
	got, err := s.Get(ctx, k.Prefix)
	require.NoError(t, err)
	require.True(t, at.Equal(got.LastUsed), "LastUsed %v", got.LastUsed)
	require.NoError(t, s.Touch(ctx, k.Prefix, base.Add(time.Minute)), "an older use is not an error")
	got, err = s.Get(ctx, k.Prefix)
	require.NoError(t, err)
	require.True(t, at.Equal(got.LastUsed), "LastUsed never goes back: %v", got.LastUsed)
	require.NoError(t, s.Touch(ctx, k.Prefix, at), "the same time again")
	require.ErrorIs(t, s.Touch(ctx, "missing00000", at), apikey.ErrNotFound)
}

func testSetStatus(t *testing.T, s apikey.Store) {
	ctx := t.Context()
	k := key("status000001", "u-1", "s", base)
	require.NoError(t, s.Create(ctx, k))
	require.NoError(t, s.SetStatus(ctx, k.Prefix, apikey.StatusRevoked))
	require.NoError(t, s.SetStatus(ctx, k.Prefix, apikey.StatusRevoked), "unchanged status is not an error")
	got, err := s.Get(ctx, k.Prefix)
	require.NoError(t, err)
	require.Equal(t, apikey.StatusRevoked, got.Status)
	require.ErrorIs(t, s.SetStatus(ctx, "missing00000", apikey.StatusRevoked), apikey.ErrNotFound)
}

func testDelete(t *testing.T, s apikey.Store) {
	ctx := t.Context()
	k := key("delete000001", "u-1", "d", base)
	require.NoError(t, s.Create(ctx, k))
	require.NoError(t, s.Delete(ctx, k.Prefix))
	_, err := s.Get(ctx, k.Prefix)
	require.ErrorIs(t, err, apikey.ErrNotFound)
	require.ErrorIs(t, s.Delete(ctx, k.Prefix), apikey.ErrNotFound)
	require.NoError(t, s.Create(ctx, key("delete000002", "u-1", "d", base)), "the name is free again")
}

func testIsolation(t *testing.T, s apikey.Store) {
	ctx := t.Context()
	k := key("isolate00001", "u-1", "i", base)
	require.NoError(t, s.Create(ctx, k))
	k.Scopes[0] = "changed"
	got, err := s.Get(ctx, k.Prefix)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"full", "metric"}, got.Scopes)
	got.Scopes[0] = "changed"
	again, err := s.Get(ctx, k.Prefix)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"full", "metric"}, again.Scopes)
}

// testExactMatch: prefixes, owners and names compare byte for byte, as
// the in-memory store compares them, whatever the database's collation:
// case and trailing spaces are significant.
func testExactMatch(t *testing.T, s apikey.Store) {
	ctx := t.Context()
	require.NoError(t, s.Create(ctx, key("exactmatch01", "u-1", "ci", base)))
	require.NoError(t, s.Create(ctx, key("exactmatch02", "u-1", "CI", base)), "names differ in case")
	require.NoError(t, s.Create(ctx, key("exactmatch03", "u-1", "ci ", base)), "names differ by a trailing space")
	require.NoError(t, s.Create(ctx, key("EXACTMATCH01", "u-1", "upper", base)), "prefixes differ in case")
	got, err := s.Get(ctx, "EXACTMATCH01")
	require.NoError(t, err)
	require.Equal(t, "upper", got.Name)
	_, err = s.Get(ctx, "Exactmatch02")
	require.ErrorIs(t, err, apikey.ErrNotFound)
	list, err := s.List(ctx, "U-1")
	require.NoError(t, err)
	require.Empty(t, list, "owners differ in case")
	list, err = s.List(ctx, "u-1 ")
	require.NoError(t, err)
	require.Empty(t, list, "owners differ by a trailing space")
	list, err = s.List(ctx, "u-1")
	require.NoError(t, err)
	require.Len(t, list, 4)
}

func testConcurrentCreate(t *testing.T, s apikey.Store) {
	ctx := t.Context()
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Create(ctx, key(fmt.Sprintf("race%08d", i), "u-1", "same name", base))
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			require.ErrorIs(t, err, apikey.ErrExists)
		}
	}
	require.Equal(t, 1, ok, "exactly one create of the same (owner, name) wins")
	list, err := s.List(ctx, "u-1")
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func testConcurrentTouch(t *testing.T, s apikey.Store) {
	ctx := t.Context()
	k := key("ctouch000001", "u-1", "c", base)
	require.NoError(t, s.Create(ctx, k))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			if err := s.Touch(ctx, k.Prefix, base.Add(time.Duration(i+1)*time.Minute)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := s.Get(ctx, k.Prefix)
	require.NoError(t, err)
	require.True(t, base.Add(16*time.Minute).Equal(got.LastUsed), "the latest use wins: %v", got.LastUsed)
}
