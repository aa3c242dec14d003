package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/registry"
	registryredis "github.com/apicrud-go/apicrud/registry/redisstore"
)

// TestRedisEndToEnd runs the registry on Redis as two service instances
// would: each has its own client and Store value on one prefix.
func TestRedisEndToEnd(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	ctx := t.Context()
	sealer := newCipher(t, 1)
	var rej rejects

	newClient := func(store registry.Store) *registry.Client {
		c, err := registry.New(sealer, registry.WithStore(store),
			registry.WithHeartbeat(100*time.Millisecond, 400*time.Millisecond), registry.WithRejectFunc(rej.fn))
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	}
	crashing := &crashStore{Store: testenv.Must(registryredis.New(rdb, registryredis.WithPrefix(prefix)))}
	a := newClient(crashing)
	b := newClient(testenv.Must(registryredis.New(rdb, registryredis.WithPrefix(prefix))))

	ra, err := a.Register(ctx, instance("main", "a", "person"))
	require.NoError(t, err)
	rb, err := b.Register(ctx, instance("main", "b", "person"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = ra.Close(context.Background()); _ = rb.Close(context.Background()) })

	for _, c := range []*registry.Client{a, b} {
		res, err := c.Find(ctx, "main")
		require.NoError(t, err)
		require.Equal(t, []string{"main:a", "main:b"}, ids(res), "both instances are found from both")
	}

	// A writer with Redis access but without the key injects an entry.
	entries := prefix + "{registry}:entries"
	deadlines := prefix + "{registry}:deadlines"
	require.NoError(t, rdb.HSet(ctx, entries, "main:evil", `{"v":1,"instance":{"service":"main","id":"evil"}}`).Err())
	require.NoError(t, rdb.ZAdd(ctx, deadlines, redisZ("main:evil", time.Now().Add(time.Hour))).Err())
	res, err := b.Find(ctx, "main")
	require.NoError(t, err)
	require.Equal(t, []string{"main:a", "main:b"}, ids(res), "the forged entry is not returned")
	require.ErrorIs(t, rej.byKey()["main:evil"], registry.ErrInvalidEntry)

	// a's heartbeat stops without deregistering: its entry expires after the TTL.
	crashing.crash()
	require.Eventually(t, func() bool {
		res, err := b.Find(ctx, "main")
		return err == nil && len(res.Instances) == 1 && res.Instances[0].ID == "b"
	}, 5*time.Second, 25*time.Millisecond)
	// b keeps beating: still there several TTLs later.
	require.Never(t, func() bool {
		res, err := b.Find(ctx, "main")
		return err != nil || len(res.Instances) != 1
	}, time.Second, 50*time.Millisecond)

	require.NoError(t, rb.Close(ctx))
	res, err = a.Find(ctx, "")
	require.NoError(t, err)
	require.Empty(t, res.Instances, "Close deregisters at once")
}

func redisZ(member string, deadline time.Time) redis.Z {
	return redis.Z{Member: member, Score: float64(deadline.UnixMilli())}
}
