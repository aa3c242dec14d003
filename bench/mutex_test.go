package bench

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/bsm/redislock"
	"github.com/go-redsync/redsync/v4"
	redsyncgoredis "github.com/go-redsync/redsync/v4/redis/goredis/v9"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/mutex"
	mutexredis "github.com/apicrud-go/apicrud/mutex/redisstore"
)

// BenchmarkMutex compares one uncontended lock cycle, acquire a free lock
// then release it, through apicrud's mutex (Locker.Acquire + Lock.Release
// on the Redis store), bsm/redislock v0.9 (Client.Obtain without retry +
// Lock.Release) and redsync v4 with one node (Mutex.LockContext +
// UnlockContext, one Mutex reused per name, its cheapest use), on the same
// Redis and client. Each cycle is two round trips in all three: apicrud
// and redislock run a Lua script for both steps (apicrud's obtain also
// increments the fencing counter), redsync sends SET NX PX then a Lua
// compare-and-delete. The ratio of interest is peer ns/op ÷ apicrud ns/op
// (above 1.0: apicrud is faster); the three run in alternating rounds
// (compare).
//
//   - serial: one goroutine, one name (latency of a cycle).
//   - parallel: GOMAXPROCS goroutines, each on a name of its own
//     (throughput of one client pool; no contention).
func BenchmarkMutex(b *testing.B) {
	rdb, prefix := redisForBench(b)
	ctx := context.Background()
	const ttl = time.Minute

	locker, err := mutex.New(mutex.WithStore(testenv.Must(mutexredis.New(rdb, mutexredis.WithPrefix(prefix+"apicrud:")))))
	if err != nil {
		b.Fatal(err)
	}
	rl := redislock.New(rdb)
	rs := redsync.New(redsyncgoredis.NewPool(rdb))

	// cycle returns a function that runs one cycle on name.
	peers := []struct {
		name  string
		cycle func(name string) func() error
	}{
		{"apicrud", func(name string) func() error {
			return func() error {
				lock, err := locker.Acquire(ctx, name, ttl)
				if err != nil {
					return err
				}
				return lock.Release(ctx)
			}
		}},
		{"redislock", func(name string) func() error {
			key := prefix + "redislock:" + name
			return func() error {
				lock, err := rl.Obtain(ctx, key, ttl, nil)
				if err != nil {
					return err
				}
				return lock.Release(ctx)
			}
		}},
		{"redsync", func(name string) func() error {
			m := rs.NewMutex(prefix+"redsync:"+name, redsync.WithExpiry(ttl))
			return func() error {
				if err := m.LockContext(ctx); err != nil {
					return err
				}
				_, err := m.UnlockContext(ctx)
				return err
			}
		}},
	}
	sides := func(serial bool) []side {
		var out []side
		for _, p := range peers {
			out = append(out, side{name: p.name, newOp: func(g int) func() error {
				if serial {
					return p.cycle("serial")
				}
				return p.cycle("g" + strconv.Itoa(g))
			}})
		}
		return out
	}
	b.Run("serial", func(b *testing.B) { compare(b, 1, sides(true)...) })
	b.Run("parallel", func(b *testing.B) { compare(b, runtime.GOMAXPROCS(0), sides(false)...) })
}
