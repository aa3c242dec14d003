package mutex_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/mutex"
	mutexredis "github.com/apicrud-go/apicrud/mutex/redisstore"
)

type benchBackend struct {
	name  string
	store func(b *testing.B) mutex.Store
}

func benchBackends() []benchBackend {
	return []benchBackend{
		{"memory", func(b *testing.B) mutex.Store {
			s := mutex.NewMemoryStore()
			b.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		}},
		{"redis", func(b *testing.B) mutex.Store {
			rdb := testenv.Redis(b) // skips without Redis (fails under CI=true)
			return testenv.Must(mutexredis.New(rdb, mutexredis.WithPrefix(testenv.Prefix(b, rdb))))
		}},
	}
}

func benchLocker(b *testing.B, s mutex.Store, opts ...mutex.Option) *mutex.Locker {
	b.Helper()
	l, err := mutex.New(append([]mutex.Option{mutex.WithStore(s)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkTryAcquireRelease measures one uncontended hold, TryAcquire of
// a free lock then Release (two store calls: two round trips on Redis):
// serially on one name (latency), and from parallel goroutines each on a
// name of its own (throughput of one store or client pool).
func BenchmarkTryAcquireRelease(b *testing.B) {
	ctx := context.Background()
	for _, be := range benchBackends() {
		b.Run(be.name+"/serial", func(b *testing.B) {
			l := benchLocker(b, be.store(b))
			b.ReportAllocs()
			for b.Loop() {
				lock, err := l.TryAcquire(ctx, "serial", time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				if err := lock.Release(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(be.name+"/parallel", func(b *testing.B) {
			l := benchLocker(b, be.store(b))
			var n atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				name := "g" + strconv.FormatInt(n.Add(1), 10)
				for pb.Next() {
					lock, err := l.TryAcquire(ctx, name, time.Minute)
					if err != nil {
						b.Error(err)
						return
					}
					if err := lock.Release(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkContention has 4×GOMAXPROCS goroutines on one lock name.
//
//   - try: each loops TryAcquire (and Release when it got the lock): the
//     cost of an attempt on a contended lock, most of them refused
//     (refused/op reports the share).
//   - acquire: each loops Acquire then Release, with a 20 µs to 1 ms
//     backoff: ns/op is the time per hold of one contended lock, handoff
//     and waiting included (the inverse of the holds per second one lock
//     sustains).
func BenchmarkContention(b *testing.B) {
	ctx := context.Background()
	for _, be := range benchBackends() {
		b.Run(be.name+"/try", func(b *testing.B) {
			l := benchLocker(b, be.store(b))
			var refused atomic.Int64
			b.SetParallelism(4)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					lock, err := l.TryAcquire(ctx, "hot", time.Minute)
					if errors.Is(err, mutex.ErrNotObtained) {
						refused.Add(1)
						continue
					}
					if err != nil {
						b.Error(err)
						return
					}
					if err := lock.Release(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(refused.Load())/float64(b.N), "refused/op")
		})
		b.Run(be.name+"/acquire", func(b *testing.B) {
			l := benchLocker(b, be.store(b), mutex.WithBackoff(20*time.Microsecond, time.Millisecond), mutex.WithMaxWait(time.Minute))
			b.SetParallelism(4)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					lock, err := l.Acquire(ctx, "hot", time.Minute)
					if err != nil {
						b.Error(err)
						return
					}
					if err := lock.Release(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
