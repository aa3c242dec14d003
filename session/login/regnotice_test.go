package login_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session/login"
)

// countingStore counts the round trips to a login.Store.
type countingStore struct {
	*login.MemoryStore
	n atomic.Int64
}

func (c *countingStore) Attempt(ctx context.Context, key string, l login.Ladder) (time.Duration, error) {
	c.n.Add(1)
	return c.MemoryStore.Attempt(ctx, key, l)
}

func (c *countingStore) PutToken(ctx context.Context, key string, digest []byte, ttl time.Duration) error {
	c.n.Add(1)
	return c.MemoryStore.PutToken(ctx, key, digest, ttl)
}

func (c *countingStore) TakeToken(ctx context.Context, key string, digest []byte) (bool, error) {
	c.n.Add(1)
	return c.MemoryStore.TakeToken(ctx, key, digest)
}

// Registering a taken address again and again sends its owner at most 3
// "already registered" notices, then drops them silently: the answer
// stays that of a new address, and so does the store work (as many login
// store round trips as registering a free address).
func TestRegisterAlreadyRegisteredNoticeLimited(t *testing.T) {
	cs := &countingStore{MemoryStore: login.NewMemoryStore()}
	t.Cleanup(func() { _ = cs.Close(context.Background()) })
	e := newEnv(t, login.WithStore(cs))
	owner := e.user(t, "owner", false)
	before := len(e.notes.all())

	var taken []int64
	for range 8 {
		n0 := cs.n.Load()
		uid, err := e.m.Register(t.Context(), login.NewAccount{Username: "intruder", Identity: "owner@example.com", Password: goodPassword})
		require.NoError(t, err, "a taken address answers like a new one, over the limit too")
		require.NotEmpty(t, uid)
		taken = append(taken, cs.n.Load()-n0)
	}
	notes := e.notes.all()[before:]
	require.Len(t, notes, 3, "at most 3 notices at once")
	for _, n := range notes {
		require.Equal(t, login.NoticeAlreadyRegistered, n.Purpose)
		require.Equal(t, owner.UID, n.UID)
	}

	n0 := cs.n.Load()
	_, err := e.m.Register(t.Context(), login.NewAccount{Username: "newcomer", Identity: "new@example.com", Password: goodPassword})
	require.NoError(t, err)
	free := cs.n.Load() - n0
	for i, n := range taken {
		require.Equal(t, free, n, "registration %d of a taken address: store round trips", i)
	}
}
