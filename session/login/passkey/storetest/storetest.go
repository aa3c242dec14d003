package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session/login/passkey"
)

// Run runs every case as a subtest, each on a fresh store from newStore,
// which must return an empty store of its own (a table, a schema or a
// key prefix per call) and register its clean-up with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) passkey.Store) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, s passkey.Store)
	}{
		{"AddGet", testAddGet},
		{"Missing", testMissing},
		{"UniqueID", testUniqueID},
		{"BinaryIDs", testBinaryIDs},
		{"List", testList},
		{"Rename", testRename},
		{"Remove", testRemove},
		{"RemoveAll", testRemoveAll},
		{"Use", testUse},
		{"Isolation", testIsolation},
		{"ConcurrentUse", testConcurrentUse},
		{"ConcurrentAdd", testConcurrentAdd},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newStore(t)) })
	}
}

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func cred(id, uid string, created time.Time) passkey.Credential {
	return passkey.Credential{
		ID: []byte(id), UID: uid, Name: "key " + passkey.EncodeID([]byte(id))[:min(8, len(passkey.EncodeID([]byte(id))))],
		PublicKey: []byte("cose key of " + id), SignCount: 7,
		AAGUID: bytes.Repeat([]byte{0xad}, 16), Transports: []string{"internal", "hybrid"},
		BackupEligible: true, BackupState: true, UserVerified: true, AttestationFormat: "none",
		Created: created,
	}
}

// equal compares two passkeys, times by instant.
func equal(t *testing.T, want, got passkey.Credential) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, want.UID, got.UID)
	require.Equal(t, want.Name, got.Name)
	require.Equal(t, want.PublicKey, got.PublicKey)
	require.Equal(t, want.SignCount, got.SignCount)
	require.Equal(t, want.AAGUID, got.AAGUID)
	require.Equal(t, want.Transports, got.Transports)
	require.Equal(t, want.BackupEligible, got.BackupEligible)
	require.Equal(t, want.BackupState, got.BackupState)
	require.Equal(t, want.UserVerified, got.UserVerified)
	require.Equal(t, want.AttestationFormat, got.AttestationFormat)
	require.True(t, want.Created.Equal(got.Created), "Created: want %v, got %v", want.Created, got.Created)
	require.True(t, want.LastUsed.Equal(got.LastUsed), "LastUsed: want %v, got %v", want.LastUsed, got.LastUsed)
}

func testAddGet(t *testing.T, s passkey.Store) {
	ctx := t.Context()
	c := cred("id-1", "u-1", base)
	require.NoError(t, s.Add(ctx, c))
	got, err := s.Get(ctx, "u-1", []byte("id-1"))
	require.NoError(t, err)
	equal(t, c, got)

	bare := passkey.Credential{ID: []byte{0}, UID: "u-1", Name: "n", PublicKey: []byte{1}, Created: base}
	require.NoError(t, s.Add(ctx, bare))
	got, err = s.Get(ctx, "u-1", []byte{0})
	require.NoError(t, err)
	require.Equal(t, uint32(0), got.SignCount)
	require.Empty(t, got.Transports)
	require.Empty(t, got.AAGUID)
	require.True(t, got.LastUsed.IsZero())
}

func testMissing(t *testing.T, s passkey.Store) {
	ctx := t.Context()
	_, err := s.Get(ctx, "u-1", []byte("nope"))
	require.ErrorIs(t, err, passkey.ErrNotFound)
	require.ErrorIs(t, s.Rename(ctx, "u-1", []byte("nope"), "x"), passkey.ErrNotFound)
	require.ErrorIs(t, s.Remove(ctx, "u-1", []byte("nope")), passkey.ErrNotFound)
	_, err = s.Use(ctx, "u-1", []byte("nope"), 1, base)
	require.ErrorIs(t, err, passkey.ErrNotFound)
	n, err := s.RemoveAll(ctx, "u-1")
	require.NoError(t, err)
	require.Equal(t, 0, n)
	list, err := s.List(ctx, "u-1")
	require.NoError(t, err)
	require.Empty(t, list)
}

func testUniqueID(t *testing.T, s passkey.Store) {
	ctx := t.Context()
	require.NoError(t, s.Add(ctx, cred("id-1", "u-1", base)))
	require.ErrorIs(t, s.Add(ctx, cred("id-1", "u-1", base)), passkey.ErrExists)
	other := cred("id-1", "u-2", base)
	other.PublicKey = []byte("attacker's key")
	require.ErrorIs(t, s.Add(ctx, other), passkey.ErrExists, "an id is unique across accounts")
	_, err := s.Get(ctx, "u-2", []byte("id-1"))
	require.ErrorIs(t, err, passkey.ErrNotFound, "nothing was stored for the second account")
	got, err := s.Get(ctx, "u-1", []byte("id-1"))
	require.NoError(t, err)
	require.Equal(t, []byte("cose key of id-1"), got.PublicKey)

	// Once removed, the id may be enrolled again.
	require.NoError(t, s.Remove(ctx, "u-1", []byte("id-1")))
	require.NoError(t, s.Add(ctx, other))
}

func testBinaryIDs(t *testing.T, s passkey.Store) {
	ctx := t.Context()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	ids := [][]byte{all, {0xff}, {0}, {0, 0}, []byte("a b"), []byte("A"), []byte("a"), []byte("a "), bytes.Repeat([]byte{0x80}, passkey.MaxIDLen)}
	for i, id := range ids {
		c := cred(string(id), "u-1", base.Add(time.Duration(i)*time.Second))
		require.NoError(t, s.Add(ctx, c), "id %x", id)
	}
	for _, id := range ids {
		got, err := s.Get(ctx, "u-1", id)
		require.NoError(t, err, "id %x", id)
		require.Equal(t, id, got.ID)
	}
	list, err := s.List(ctx, "u-1")
	require.NoError(t, err)
	require.Len(t, list, len(ids), "ids differing in case, trailing spaces or zero bytes are distinct")
}

func testList(t *testing.T, s passkey.Store) {
	ctx := t.Context()
	require.NoError(t, s.Add(ctx, cred("c", "u-1", base.Add(2*time.Hour))))
	require.NoError(t, s.Add(ctx, cred("b", "u-1", base)))
	require.NoError(t, s.Add(ctx, cred("a", "u-1", base)))
	require.NoError(t, s.Add(ctx, cred("d", "u-2", base)))
	list, err := s.List(ctx, "u-1")
	require.NoError(t, err)
	var ids []string
	for _, c := range list {
		ids = append(ids, string(c.ID))
		require.Equal(t, "u-1", c.UID)
	}
	require.Equal(t, []string{"a", "b", "c"}, ids, "oldest first, ties by id")
}

func testRename(t *testing.T, s passkey.Store) {
	ctx := t.Context()
	c := cred("id-1", "u-1", base)
	require.NoError(t, s.Add(ctx, c))
	require.NoError(t, s.Rename(ctx, "u-1", c.ID, "Clé 🔑"))
	got, err := s.Get(ctx, "u-1", c.ID)
	require.NoError(t, err)
	c.Name = "Clé 🔑"
	equal(t, c, got)
	require.NoError(t, s.Rename(ctx, "u-1", c.ID, "Clé 🔑"), "renaming to the same name is no error")
}

func testRemove(t *testing.T, s passkey.Store) {
	ctx := t.Context()
	require.NoError(t, s.Add(ctx, cred("id-1", "u-1", base)))
	require.NoError(t, s.Add(ctx, cred("id-2", "u-1", base)))
	require.NoError(t, s.Remove(ctx, "u-1", []byte("id-1")))
	require.ErrorIs(t, s.Remove(ctx, "u-1", []byte("id-1")), passkey.ErrNotFound)
	_, err := s.Get(ctx, "u-1", []byte("id-1"))
	require.ErrorIs(t, err, passkey.ErrNotFound)
	list, err := s.List(ctx, "u-1")
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func testRemoveAll(t *testing.T, s passkey.Store) {
	ctx := t.Context()
	for _, id := range []string{"a", "b", "c"} {
		require.NoError(t, s.Add(ctx, cred(id, "u-1", base)))
	}
	require.NoError(t, s.Add(ctx, cred("d", "u-2", base)))
	n, err := s.RemoveAll(ctx, "u-1")
	require.NoError(t, err)
	require.Equal(t, 3, n)
	list, err := s.List(ctx, "u-1")
	require.NoError(t, err)
	require.Empty(t, list)
	list, err = s.List(ctx, "u-2")
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NoError(t, s.Add(ctx, cred("a", "u-3", base)), "the ids are free again")
}

func testUse(t *testing.T, s passkey.Store) {
	ctx := t.Context()
	c := cred("id-1", "u-1", base)
	c.SignCount = 0
	require.NoError(t, s.Add(ctx, c))
	steps := []struct {
		count uint32
		want  bool
	}{
		{0, true},  // no counter on either side
		{0, true},  // still none
		{5, true},  // the authenticator starts counting
		{5, false}, // the same count again
		{4, false}, // backwards
		{0, false}, // back to none
		{6, true},
		{1<<32 - 1, true},
		{1<<32 - 1, false},
	}
	var last time.Time
	for i, st := range steps {
		at := base.Add(time.Duration(i+1) * time.Minute)
		ok, err := s.Use(ctx, "u-1", c.ID, st.count, at)
		require.NoError(t, err)
		require.Equal(t, st.want, ok, "step %d: Use(%d)", i, st.count)
		if ok {
			last = at
		}
		got, err := s.Get(ctx, "u-1", c.ID)
		require.NoError(t, err)
		require.True(t, last.Equal(got.LastUsed), "step %d: LastUsed %v, want %v", i, got.LastUsed, last)
	}
	got, err := s.Get(ctx, "u-1", c.ID)
	require.NoError(t, err)
	require.Equal(t, uint32(1<<32-1), got.SignCount)
}

func testIsolation(t *testing.T, s passkey.Store) {
	ctx := t.Context()
	c := cred("id-1", "u-1", base)
	require.NoError(t, s.Add(ctx, c))
	for _, uid := range []string{"u-2", "U-1", "u-1 ", "u-", ""} {
		_, err := s.Get(ctx, uid, c.ID)
		require.ErrorIs(t, err, passkey.ErrNotFound, "Get by %q", uid)
		require.ErrorIs(t, s.Rename(ctx, uid, c.ID, "mine"), passkey.ErrNotFound, "Rename by %q", uid)
		require.ErrorIs(t, s.Remove(ctx, uid, c.ID), passkey.ErrNotFound, "Remove by %q", uid)
		_, err = s.Use(ctx, uid, c.ID, 100, base)
		require.ErrorIs(t, err, passkey.ErrNotFound, "Use by %q", uid)
		n, err := s.RemoveAll(ctx, uid)
		require.NoError(t, err)
		require.Equal(t, 0, n)
	}
	got, err := s.Get(ctx, "u-1", c.ID)
	require.NoError(t, err)
	equal(t, c, got)
}

// testConcurrentUse: of many logins presenting the same counter at once,
// one wins.
func testConcurrentUse(t *testing.T, s passkey.Store) {
	ctx := context.WithoutCancel(t.Context())
	c := cred("id-1", "u-1", base)
	require.NoError(t, s.Add(ctx, c))
	const n = 16
	for round := uint32(1); round <= 3; round++ {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				ok, err := s.Use(ctx, "u-1", c.ID, c.SignCount+round, base)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), wins.Load(), "round %d", round)
	}
}

// testConcurrentAdd: of many enrolments of one id at once, one wins.
func testConcurrentAdd(t *testing.T, s passkey.Store) {
	ctx := context.WithoutCancel(t.Context())
	const n = 16
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.Add(ctx, cred("same", "u-"+string(rune('a'+i)), base))
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, passkey.ErrExists):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int32(1), wins.Load())
}
