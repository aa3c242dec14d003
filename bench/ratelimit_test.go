package bench

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/ratelimit"
	ratelimitredis "github.com/apicrud-go/apicrud/ratelimit/redisstore"
)

// BenchmarkRateLimit compares apicrud's ratelimit (Limiter.Allow on the
// Redis store) with go-redis/redis_rate v10 (Limiter.Allow) on the same
// Redis and client. Both run one GCRA Lua script per check with EVALSHA
// and the server's TIME, and reads the four numbers of the reply; the
// ratio of interest is redis_rate ns/op ÷ apicrud ns/op (target >= 1.0).
// The two run in alternating rounds (compare).
//
//   - allow/serial: one goroutine, one key, every check allowed (latency).
//   - allow/parallel: GOMAXPROCS goroutines over 10,000 keys, every check
//     allowed (throughput of one client pool).
//   - deny/parallel: GOMAXPROCS goroutines on one exhausted key, every
//     check denied (what an abusive client costs).
func BenchmarkRateLimit(b *testing.B) {
	rdb, prefix := redisForBench(b)
	ctx := context.Background()
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "u" + strconv.Itoa(i)
	}

	lim, err := ratelimit.New(
		ratelimit.WithStore(testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix+"apicrud:")))),
		ratelimit.WithDefaultLimit(ratelimit.Limit{Rate: 1_000_000, Period: time.Second, Burst: 1_000_000}),
	)
	if err != nil {
		b.Fatal(err)
	}
	// redis_rate's key prefix is fixed ("rate:"); its keys are removed by
	// redisForBench's cleanup of "rate:"+prefix.
	rr := redis_rate.NewLimiter(rdb)
	rrLimit := redis_rate.Limit{Rate: 1_000_000, Period: time.Second, Burst: 1_000_000}

	apicrudAllow := func(key string) error {
		_, err := lim.Allow(ctx, ratelimit.Key{Service: "*", UID: key}, 1)
		return err
	}
	redisRateAllow := func(key string) error {
		_, err := rr.Allow(ctx, prefix+"*:"+key, rrLimit)
		return err
	}
	var n atomic.Int64
	nextKey := func() string { return keys[n.Add(1)%int64(len(keys))] }
	b.Run("allow/serial", func(b *testing.B) {
		compare(b, 1,
			serialSide("apicrud", func() error { return apicrudAllow("serial") }),
			serialSide("redis_rate", func() error { return redisRateAllow("serial") }))
	})
	b.Run("allow/parallel", func(b *testing.B) {
		compare(b, runtime.GOMAXPROCS(0),
			serialSide("apicrud", func() error { return apicrudAllow(nextKey()) }),
			serialSide("redis_rate", func() error { return redisRateAllow(nextKey()) }))
	})

	// deny: a limit of one per hour, spent before the timer starts.
	denyLim, err := ratelimit.New(
		ratelimit.WithStore(testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix+"apicrud:")))),
		ratelimit.WithDefaultLimit(ratelimit.PerHour(1)),
	)
	if err != nil {
		b.Fatal(err)
	}
	denyKey := ratelimit.Key{Service: "*", UID: "abuser"}
	rrDenyKey := prefix + "*:abuser"
	_, _ = denyLim.Allow(ctx, denyKey, 1)
	_, _ = rr.Allow(ctx, rrDenyKey, redis_rate.PerHour(1))
	b.Run("deny/parallel", func(b *testing.B) {
		compare(b, runtime.GOMAXPROCS(0),
			serialSide("apicrud", func() error {
				res, err := denyLim.Allow(ctx, denyKey, 1)
				if err == nil && res.Allowed != 0 {
					err = errors.New("not denied")
				}
				return err
			}),
			serialSide("redis_rate", func() error {
				res, err := rr.Allow(ctx, rrDenyKey, redis_rate.PerHour(1))
				if err == nil && res.Allowed != 0 {
					err = errors.New("not denied")
				}
				return err
			}))
	})
}
