package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session/login"
)

// RunAccounts is the conformance suite of login.AccountStore. newStore
// must return an empty store.
func RunAccounts(t *testing.T, newStore func(t *testing.T) login.AccountStore) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s login.AccountStore)
	}{
		{"CreateGetLookup", testAccountCreateGet},
		{"Missing", testAccountMissing},
		{"Unique", testAccountUnique},
		{"UpdateVersion", testAccountUpdate},
		{"UpdateUniqueness", testAccountUpdateUnique},
		{"Delete", testAccountDelete},
		{"ConcurrentUpdates", testAccountConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func account(uid, username, identity string) login.Account {
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	return login.Account{
		UID: uid, Username: username, Identity: identity, Name: "Émile " + username,
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		Status:       login.StatusActive, Admin: true, TOTPSecret: "sealed-secret",
		BackupCodes: []string{"d1", "d2"}, MFARequired: true, PasswordMustChange: true, Created: now, Updated: now,
	}
}

func testAccountCreateGet(t *testing.T, s login.AccountStore) {
	a := account("u-1", "alice", "alice@example.com")
	require.NoError(t, s.Create(t.Context(), a))
	a.Version = 1
	for _, get := range []func() (login.Account, bool, error){
		func() (login.Account, bool, error) { return s.Get(t.Context(), "u-1") },
		func() (login.Account, bool, error) { return s.Lookup(t.Context(), "alice") },
		func() (login.Account, bool, error) { return s.Lookup(t.Context(), "alice@example.com") },
	} {
		got, ok, err := get()
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, a.Created.UnixMilli(), got.Created.UnixMilli())
		got.Created, got.Updated = a.Created, a.Updated
		require.Equal(t, a, got)
	}
	b := account("u-2", "bob", "")
	b.BackupCodes, b.TOTPSecret, b.Admin, b.PasswordMustChange = nil, "", false, false
	require.NoError(t, s.Create(t.Context(), b))
	got, ok, err := s.Lookup(t.Context(), "bob")
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, got.MFARequired, "the requirements are kept one by one")
	require.False(t, got.PasswordMustChange)
	require.Empty(t, got.Identity)
	require.Empty(t, got.BackupCodes)
	require.False(t, got.Admin)
}

func testAccountMissing(t *testing.T, s login.AccountStore) {
	for _, login := range []string{"nobody", "nobody@example.com"} {
		_, ok, err := s.Lookup(t.Context(), login)
		require.NoError(t, err)
		require.False(t, ok)
	}
	_, ok, err := s.Get(t.Context(), "u-none")
	require.NoError(t, err)
	require.False(t, ok)
	ok, err = s.Update(t.Context(), account("u-none", "nobody", ""))
	require.NoError(t, err)
	require.False(t, ok)
	ok, err = s.Delete(t.Context(), "u-none")
	require.NoError(t, err)
	require.False(t, ok)
}

func testAccountUnique(t *testing.T, s login.AccountStore) {
	require.NoError(t, s.Create(t.Context(), account("u-1", "alice", "alice@example.com")))
	for name, a := range map[string]login.Account{
		"uid":      account("u-1", "other", "other@example.com"),
		"username": account("u-2", "alice", "other@example.com"),
		"identity": account("u-3", "other", "alice@example.com"),
	} {
		require.ErrorIs(t, s.Create(t.Context(), a), login.ErrAccountExists, name)
	}
	// Several accounts may have no identity.
	require.NoError(t, s.Create(t.Context(), account("u-4", "carol", "")))
	require.NoError(t, s.Create(t.Context(), account("u-5", "dave", "")))
}

func testAccountUpdate(t *testing.T, s login.AccountStore) {
	require.NoError(t, s.Create(t.Context(), account("u-1", "alice", "alice@example.com")))
	a, _, err := s.Get(t.Context(), "u-1")
	require.NoError(t, err)
	require.Equal(t, int64(1), a.Version)
	stale := a
	a.Status, a.Admin, a.TOTPSecret, a.BackupCodes, a.Identity = login.StatusDisabled, false, "", nil, "alice@example.org"
	a.MFARequired, a.PasswordMustChange = false, true
	ok, err := s.Update(t.Context(), a)
	require.NoError(t, err)
	require.True(t, ok)
	stale.Name = "lost update"
	ok, err = s.Update(t.Context(), stale)
	require.NoError(t, err)
	require.False(t, ok, "an update with a stale version must fail")
	got, _, err := s.Get(t.Context(), "u-1")
	require.NoError(t, err)
	require.Equal(t, int64(2), got.Version)
	require.Equal(t, login.StatusDisabled, got.Status)
	require.False(t, got.Admin)
	require.Empty(t, got.TOTPSecret)
	require.Empty(t, got.BackupCodes)
	require.False(t, got.MFARequired, "Update stores the requirements")
	require.True(t, got.PasswordMustChange)
	require.Equal(t, a.Name, got.Name)
	_, found, err := s.Lookup(t.Context(), "alice@example.com")
	require.NoError(t, err)
	require.False(t, found, "the old identity must no longer find the account")
	_, found, err = s.Lookup(t.Context(), "alice@example.org")
	require.NoError(t, err)
	require.True(t, found)
}

func testAccountUpdateUnique(t *testing.T, s login.AccountStore) {
	require.NoError(t, s.Create(t.Context(), account("u-1", "alice", "alice@example.com")))
	require.NoError(t, s.Create(t.Context(), account("u-2", "bob", "bob@example.com")))
	b, _, err := s.Get(t.Context(), "u-2")
	require.NoError(t, err)
	b.Username = "alice"
	_, err = s.Update(t.Context(), b)
	require.ErrorIs(t, err, login.ErrAccountExists)
	b.Username, b.Identity = "bob", "alice@example.com"
	_, err = s.Update(t.Context(), b)
	require.ErrorIs(t, err, login.ErrAccountExists)
}

func testAccountDelete(t *testing.T, s login.AccountStore) {
	require.NoError(t, s.Create(t.Context(), account("u-1", "alice", "alice@example.com")))
	ok, err := s.Delete(t.Context(), "u-1")
	require.NoError(t, err)
	require.True(t, ok)
	_, found, err := s.Lookup(t.Context(), "alice")
	require.NoError(t, err)
	require.False(t, found)
	require.NoError(t, s.Create(t.Context(), account("u-9", "alice", "alice@example.com")), "a deleted account's names are free again")
}

func testAccountConcurrent(t *testing.T, s login.AccountStore) {
	require.NoError(t, s.Create(t.Context(), account("u-1", "alice", "")))
	const workers, each = 4, 5
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				for {
					a, _, err := s.Get(t.Context(), "u-1")
					if err != nil {
						t.Errorf("get: %v", err)
						return
					}
					a.BackupCodes = append(a.BackupCodes, fmt.Sprintf("w%d-%d", w, i))
					ok, err := s.Update(t.Context(), a)
					if err != nil {
						t.Errorf("update: %v", err)
						return
					}
					if ok {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	a, _, err := s.Get(t.Context(), "u-1")
	require.NoError(t, err)
	require.Len(t, a.BackupCodes, 2+workers*each, "lost updates")
	require.Equal(t, int64(1+workers*each), a.Version)
}
