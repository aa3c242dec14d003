package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/ratelimit"
	ratelimitredis "github.com/apicrud-go/apicrud/ratelimit/redisstore"
)

// BenchmarkAllow measures Limiter.Allow on the memory store: one key from
// one goroutine (the cost of a decision), one hot key from every goroutine
// (contention on one entry), and 10,000 keys from every goroutine (the
// common case of many callers). Every call is allowed (a burst of 1e9).
func BenchmarkAllow(b *testing.B) {
	lim := ratelimit.Limit{Rate: 1_000_000, Period: 1_000_000_000, Burst: 1_000_000_000 / 1000}
	l, err := ratelimit.New(ratelimit.WithDefaultLimit(lim))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close(context.Background()) })
	ctx := context.Background()

	b.Run("memory/serial", func(b *testing.B) {
		b.ReportAllocs()
		key := ratelimit.Key{Service: "*", UID: "serial"}
		for b.Loop() {
			if _, err := l.Allow(ctx, key, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memory/parallel-one-key", func(b *testing.B) {
		b.ReportAllocs()
		key := ratelimit.Key{Service: "*", UID: "hot"}
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := l.Allow(ctx, key, 1); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("memory/parallel-10k-keys", func(b *testing.B) {
		b.ReportAllocs()
		keys := make([]ratelimit.Key, 10_000)
		for i := range keys {
			keys[i] = ratelimit.Key{Service: "*", UID: "u" + strconv.Itoa(i)}
		}
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := l.Allow(ctx, keys[n.Add(1)%int64(len(keys))], 1); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkHandler measures the middleware around an empty handler:
// client IP extraction, one Allow on the memory store, and the two
// RateLimit header fields.
func BenchmarkHandler(b *testing.B) {
	l, err := ratelimit.New(ratelimit.WithAnonymousLimit(ratelimit.Limit{Rate: 1_000_000, Period: 1_000_000_000, Burst: 1_000_000}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close(context.Background()) })
	h := l.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkAllowReservation measures Limiter.Allow on Redis with and
// without WithReservation, one key: "exact" is one EVALSHA round trip per
// check; "reserved" spends events reserved 10,000 at a time (a check
// served locally: a lock, a map lookup, the clock), serially and from
// every goroutine on one hot key.
func BenchmarkAllowReservation(b *testing.B) {
	rdb := testenv.Redis(b)
	store := testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(testenv.Prefix(b, rdb))))
	lim := ratelimit.Limit{Rate: 1_000_000, Period: time.Second, Burst: 1_000_000_000} // never near the limit
	exact := testenv.Must(ratelimit.New(ratelimit.WithStore(store), ratelimit.WithDefaultLimit(lim)))
	reserved := testenv.Must(ratelimit.New(ratelimit.WithStore(store), ratelimit.WithDefaultLimit(lim),
		ratelimit.WithReservation(ratelimit.MaxReservationBatch, 100*time.Millisecond)))
	ctx := context.Background()
	for _, c := range []struct {
		name string
		l    *ratelimit.Limiter
	}{{"redis/exact", exact}, {"redis/reserved", reserved}} {
		b.Run(c.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			key := ratelimit.Key{Service: "*", UID: c.name + "serial"}
			for b.Loop() {
				if _, err := c.l.Allow(ctx, key, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/parallel-one-key", func(b *testing.B) {
			b.ReportAllocs()
			key := ratelimit.Key{Service: "*", UID: c.name + "hot"}
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.l.Allow(ctx, key, 1); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
