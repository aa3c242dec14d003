package gencacheredis_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/gencache/gencacheredis"
	"github.com/apicrud-go/apicrud/internal/gencache/gencachetest"
	"github.com/apicrud-go/apicrud/internal/rediskey"
	"github.com/apicrud-go/apicrud/internal/testenv"
)

func TestCache(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		rdb := connect(t)
		gencachetest.Run(t, func(t *testing.T) gencachetest.Cache {
			return gencacheredis.New(rdb, testenv.Prefix(t, rdb), time.Minute)
		})
	})
}

// TestKeySchema pins the keys and TTLs that grants/redisstore and
// crud/redisstore have always written, so that data stored by an earlier
// version stays readable.
func TestKeySchema(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	ctx := t.Context()
	c := gencacheredis.New(rdb, prefix, time.Minute)
	require.NoError(t, c.Delete(ctx, "settings:x-1"))
	require.NoError(t, c.Set(ctx, "settings:x-1", 1, []byte("rec"), 30*time.Second))

	keys, err := testenv.Keys(ctx, rdb, prefix)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{prefix + "{settings:x-1}:v", prefix + "{settings:x-1}:g"}, keys)
	for _, want := range []struct {
		key, value string
		ttl        time.Duration
	}{
		{prefix + "{settings:x-1}:v", "rec", 30 * time.Second}, // the entry, for Set's ttl
		{prefix + "{settings:x-1}:g", "1", time.Minute},        // the generation, for the generation TTL
	} {
		val, err := rdb.Get(ctx, want.key).Result()
		require.NoError(t, err, want.key)
		require.Equal(t, want.value, val, want.key)
		ttl, err := rdb.PTTL(ctx, want.key).Result()
		require.NoError(t, err, want.key)
		require.True(t, ttl > want.ttl-5*time.Second && ttl <= want.ttl, "%s: TTL %v, want about %v", want.key, ttl, want.ttl)
	}

	// Data written by hand in that schema is read back.
	require.NoError(t, rdb.Set(ctx, prefix+"{u-1}:v", "old", time.Minute).Err())
	require.NoError(t, rdb.Set(ctx, prefix+"{u-1}:g", "7", time.Minute).Err())
	data, gen, ok, err := c.Get(ctx, "u-1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []byte("old"), data)
	require.Equal(t, uint64(7), gen)
}

// TestExpiry: the entry and the generation expire on Redis's clock.
func TestExpiry(t *testing.T) {
	rdb := testenv.Redis(t)
	ctx := t.Context()
	c := gencacheredis.New(rdb, testenv.Prefix(t, rdb), 200*time.Millisecond)
	require.NoError(t, c.Set(ctx, "k", 0, []byte("v"), 100*time.Millisecond))
	require.Eventually(t, func() bool {
		_, _, ok, err := c.Get(ctx, "k")
		return err == nil && !ok
	}, 5*time.Second, 10*time.Millisecond, "the entry expires")

	require.NoError(t, c.Delete(ctx, "k"))
	_, gen, _, err := c.Get(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, uint64(1), gen)
	require.Eventually(t, func() bool {
		_, gen, _, err := c.Get(ctx, "k")
		return err == nil && gen == 0
	}, 5*time.Second, 10*time.Millisecond, "the generation is forgotten after the generation TTL")
}

func TestSubMillisecondTTLStoresNothing(t *testing.T) {
	rdb := testenv.Redis(t)
	ctx := t.Context()
	c := gencacheredis.New(rdb, testenv.Prefix(t, rdb), time.Minute)
	require.NoError(t, c.Set(ctx, "k", 0, []byte("v"), time.Millisecond-time.Nanosecond))
	_, _, ok, err := c.Get(ctx, "k")
	require.NoError(t, err)
	require.False(t, ok)
}

// TestBadReplies: a generation that is not a decimal uint64 is an error,
// not generation 0 (which could let a stale load through).
func TestBadReplies(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	ctx := t.Context()
	c := gencacheredis.New(rdb, prefix, time.Minute)
	for _, g := range []string{"not a number", "-1", "1.5", "18446744073709551616", ""} {
		require.NoError(t, rdb.Set(ctx, prefix+"{k}:g", g, time.Minute).Err())
		_, _, _, err := c.Get(ctx, "k")
		require.ErrorIs(t, err, rediskey.ErrReply, "generation %q", g)
	}
	require.NoError(t, rdb.Set(ctx, prefix+"{k}:g", "18446744073709551615", time.Minute).Err())
	_, gen, _, err := c.Get(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, uint64(18446744073709551615), gen)
}

// Two instances (two clients, one prefix) share one cache; another prefix
// is another cache.
func TestTwoInstancesShareState(t *testing.T) {
	testenv.EachRedis(t, testTwoInstancesShareState)
}

func testTwoInstancesShareState(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	rdb1, rdb2 := connect(t), connect(t)
	prefix := testenv.Prefix(t, rdb1)
	ctx := t.Context()
	c1 := gencacheredis.New(rdb1, prefix, time.Minute)
	c2 := gencacheredis.New(rdb2, prefix, time.Minute)

	_, gen, _, err := c2.Get(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, c1.Delete(ctx, "k"))
	require.NoError(t, c2.Set(ctx, "k", gen, []byte("stale"), time.Minute))
	_, gen, ok, err := c1.Get(ctx, "k")
	require.NoError(t, err)
	require.False(t, ok, "instance 1's Delete refuses instance 2's stale load")
	require.NoError(t, c2.Set(ctx, "k", gen, []byte("fresh"), time.Minute))
	data, _, ok, err := c1.Get(ctx, "k")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []byte("fresh"), data)

	other := gencacheredis.New(rdb2, testenv.Prefix(t, rdb2), time.Minute)
	_, gen, ok, err = other.Get(ctx, "k")
	require.NoError(t, err)
	require.False(t, ok)
	require.Equal(t, uint64(0), gen)
}

// BenchmarkCache measures one round trip per operation: a hit (MGET), a
// Set of 200 bytes (set.lua) and a Delete (delete.lua).
func BenchmarkCache(b *testing.B) {
	rdb := testenv.Redis(b)
	c := gencacheredis.New(rdb, testenv.Prefix(b, rdb), time.Minute)
	ctx := b.Context()
	data := make([]byte, 200)
	require.NoError(b, c.Set(ctx, "hit", 0, data, time.Hour))
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok, err := c.Get(ctx, "hit"); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("Set", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Set(ctx, "set", 0, data, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Delete", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Delete(ctx, "del"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
