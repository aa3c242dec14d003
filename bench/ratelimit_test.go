package bench

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/apicrud-go/apicrud/ratelimit"
	ratelimitredis "github.com/apicrud-go/apicrud/ratelimit/redisstore"
)

// BenchmarkRateLimit compares apicrud's ratelimit (Limiter.Allow on the
// Redis store) with go-redis/redis_rate v10 (Limiter.Allow) on the same
// Redis and client. Both run one GCRA Lua script per check with EVALSHA
// and the server's TIME; the ratio of interest is
// redis_rate ns/op ÷ apicrud ns/op (target >= 1.0).
//
//   - allow/serial: one goroutine, one key, every check allowed (latency).
//   - allow/parallel: parallel goroutines over 10,000 keys, every check
//     allowed (throughput of one client pool).
//   - deny/parallel: parallel goroutines on one exhausted key, every check
//     denied (what an abusive client costs).
func BenchmarkRateLimit(b *testing.B) {
	rdb, prefix := redisForBench(b)
	ctx := context.Background()
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "u" + strconv.Itoa(i)
	}

	lim, err := ratelimit.New(
		ratelimit.WithStore(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix+"apicrud:"))),
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
	for _, c := range []struct {
		name  string
		allow func(key string) error
	}{{"apicrud", apicrudAllow}, {"redis_rate", redisRateAllow}} {
		b.Run("allow/serial/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.allow("serial"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("allow/parallel/"+c.name, func(b *testing.B) {
			var n atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.allow(keys[n.Add(1)%int64(len(keys))]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}

	// deny: a limit of one per hour, spent before the timer starts.
	denyLim, err := ratelimit.New(
		ratelimit.WithStore(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix+"apicrud:"))),
		ratelimit.WithDefaultLimit(ratelimit.PerHour(1)),
	)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("deny/parallel/apicrud", func(b *testing.B) {
		key := ratelimit.Key{Service: "*", UID: "abuser"}
		_, _ = denyLim.Allow(ctx, key, 1)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				res, err := denyLim.Allow(ctx, key, 1)
				if err != nil || res.Allowed != 0 {
					b.Error("not denied", err)
					return
				}
			}
		})
	})
	b.Run("deny/parallel/redis_rate", func(b *testing.B) {
		key := prefix + "*:abuser"
		_, _ = rr.Allow(ctx, key, redis_rate.PerHour(1))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				res, err := rr.Allow(ctx, key, redis_rate.PerHour(1))
				if err != nil || res.Allowed != 0 {
					b.Error("not denied", err)
					return
				}
			}
		})
	})
}
