package apikey_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/apikey"
)

// failingStore is a MemoryStore whose Get fails while down is set, as a
// database in an outage does.
type failingStore struct {
	*apikey.MemoryStore
	down atomic.Bool
}

func (s *failingStore) Get(ctx context.Context, prefix string) (apikey.Record, error) {
	if s.down.Load() {
		return apikey.Record{}, errors.New("dial tcp: connection refused")
	}
	return s.MemoryStore.Get(ctx, prefix)
}

// A store or owner-source outage is not a bad key: Verify returns
// ErrUnavailable (with Unavailable() true, which package session reads),
// not ErrInvalid or ErrOwner, so that the request is answered 503.
func TestVerifyUnavailable(t *testing.T) {
	store := &failingStore{MemoryStore: apikey.NewMemoryStore()}
	var ownerDown atomic.Bool
	owners := apikey.OwnerFunc(func(_ context.Context, uid string) (apikey.Owner, error) {
		if ownerDown.Load() {
			return apikey.Owner{}, errors.Join(apikey.ErrUnavailable, errors.New("db down"))
		}
		if uid == "u-disabled" {
			return apikey.Owner{}, errors.New("account disabled")
		}
		return apikey.Owner{Roles: []string{"user"}}, nil
	})
	keys := newKeys(t, apikey.WithStore(store), apikey.WithOwners(owners))
	ctx := t.Context()
	k, _, err := keys.Create(ctx, "u-1", "deploy", nil, time.Time{})
	require.NoError(t, err)
	kd, _, err := keys.Create(ctx, "u-disabled", "deploy", nil, time.Time{})
	require.NoError(t, err)

	unavailable := func(err error) bool {
		var u interface{ Unavailable() bool }
		return errors.As(err, &u) && u.Unavailable()
	}

	store.down.Store(true)
	_, err = keys.Verify(ctx, k.Reveal())
	require.ErrorIs(t, err, apikey.ErrUnavailable)
	require.True(t, unavailable(err))
	require.NotErrorIs(t, err, apikey.ErrInvalid)
	_, _, _, err = keys.VerifyAPIKey(ctx, k.Reveal())
	require.True(t, unavailable(err))
	store.down.Store(false)

	ownerDown.Store(true)
	_, err = keys.Verify(ctx, k.Reveal())
	require.ErrorIs(t, err, apikey.ErrUnavailable)
	require.NotErrorIs(t, err, apikey.ErrOwner)
	require.True(t, unavailable(err))
	ownerDown.Store(false)

	// A refused owner, an unknown key: not unavailable.
	_, err = keys.Verify(ctx, kd.Reveal())
	require.ErrorIs(t, err, apikey.ErrOwner)
	require.False(t, unavailable(err))
	require.NoError(t, keys.Delete(ctx, kd.Prefix()))
	_, err = keys.Verify(ctx, kd.Reveal())
	require.ErrorIs(t, err, apikey.ErrInvalid)
	require.False(t, unavailable(err))
	_, err = keys.Verify(ctx, k.Reveal())
	require.NoError(t, err)
}
