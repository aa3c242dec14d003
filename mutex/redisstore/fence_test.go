package redisstore_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	mutexredis "github.com/apicrud-go/apicrud/mutex/redisstore"
)

// TestFencingCounterExpires: a name's fencing counter expires once the
// server's clock has passed its last token by the retention, and the
// tokens handed out after it was created again are still greater than
// every earlier one, over rounds of quick holds and expiries; on a single
// node, on Redis Cluster and through Sentinel.
func TestFencingCounterExpires(t *testing.T) {
	testenv.EachRedis(t, testFencingCounterExpires)
}

func testFencingCounterExpires(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	rdb := connect(t)
	prefix := testenv.Prefix(t, rdb)
	const retention = 50 * time.Millisecond
	s := testenv.Must(mutexredis.New(rdb, mutexredis.WithPrefix(prefix), mutexredis.WithFenceRetention(retention)))
	ctx := t.Context()
	fenceKey := prefix + "{job}:fence"
	var last int64
	expiries := 0
	for round := range 6 {
		for hold := range 5 {
			tok := "r" + strconv.Itoa(round) + "h" + strconv.Itoa(hold)
			fence, ok, err := s.Obtain(ctx, "job", tok, time.Minute)
			require.NoError(t, err)
			require.True(t, ok)
			require.Greater(t, fence, last, "round %d, hold %d", round, hold)
			last = fence
			keep, err := rdb.PTTL(ctx, fenceKey).Result()
			require.NoError(t, err)
			// -2: already expired (a slow machine); -1 would be no TTL.
			require.NotEqual(t, time.Duration(-1), keep, "the counter has no TTL")
			require.LessOrEqual(t, keep, retention+time.Millisecond, "kept longer than the retention")
			ok, err = s.Release(ctx, "job", tok)
			require.NoError(t, err)
			require.True(t, ok)
		}
		require.Eventually(t, func() bool { return rdb.Exists(ctx, fenceKey).Val() == 0 }, 5*time.Second, time.Millisecond,
			"the fencing counter never expired")
		expiries++
	}
	require.Equal(t, 6, expiries)
}

// TestFencingCounterAhead: a counter ahead of the server's clock (an old
// counter without TTL, from before the retention, that counted past the
// clock) goes on from its value, and is then kept until the clock has
// passed that value by the retention; an old counter behind the clock
// gets a TTL too. Names no longer locked therefore never keep keys
// forever.
func TestFencingCounterAhead(t *testing.T) {
	testenv.EachRedis(t, testFencingCounterAhead)
}

func testFencingCounterAhead(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
	rdb := connect(t)
	prefix := testenv.Prefix(t, rdb)
	const retention = time.Second
	s := testenv.Must(mutexredis.New(rdb, mutexredis.WithPrefix(prefix), mutexredis.WithFenceRetention(retention)))
	ctx := t.Context()
	now, err := rdb.Time(ctx).Result()
	require.NoError(t, err)
	ahead := now.UnixMicro() + (time.Minute).Microseconds()
	require.NoError(t, rdb.Set(ctx, prefix+"{ahead}:fence", strconv.FormatInt(ahead, 10), 0).Err())
	fence, ok, err := s.Obtain(ctx, "ahead", "t", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, ahead+1, fence)
	keep := rdb.PTTL(ctx, prefix+"{ahead}:fence").Val()
	require.Greater(t, keep, time.Minute, "expires before the clock passes the token")
	require.LessOrEqual(t, keep, time.Minute+retention+time.Second)

	require.NoError(t, rdb.Set(ctx, prefix+"{old}:fence", "7", 0).Err())
	fence, ok, err = s.Obtain(ctx, "old", "t", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	require.Greater(t, fence, now.UnixMicro(), "the token follows the clock")
	keep = rdb.PTTL(ctx, prefix+"{old}:fence").Val()
	require.Positive(t, keep)
	require.LessOrEqual(t, keep, retention)
}
