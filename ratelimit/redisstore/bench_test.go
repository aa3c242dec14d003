package redisstore_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/ratelimit"
	ratelimitredis "github.com/apicrud-go/apicrud/ratelimit/redisstore"
)

// BenchmarkAllow measures Store.Allow on Redis (one EVALSHA round trip):
// serially (latency) and from parallel goroutines over 10,000 keys
// (throughput of one client pool). Every call is allowed.
func BenchmarkAllow(b *testing.B) {
	rdb := testenv.Redis(b)
	s := testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(testenv.Prefix(b, rdb))))
	lim := ratelimit.Limit{Rate: 1_000_000, Period: 1_000_000_000, Burst: 1_000_000}
	ctx := context.Background()
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "*:u:u" + strconv.Itoa(i)
	}
	b.Run("redis/serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Allow(ctx, "serial", lim, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("redis/parallel-10k-keys", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Allow(ctx, keys[n.Add(1)%int64(len(keys))], lim, 1); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
