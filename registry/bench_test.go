package registry_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/registry"
	registryredis "github.com/apicrud-go/apicrud/registry/redisstore"
)

func benchBackends(b *testing.B, fn func(b *testing.B, store registry.Store)) {
	b.Run("memory", func(b *testing.B) {
		s := registry.NewMemoryStore()
		b.Cleanup(func() { _ = s.Close(context.Background()) })
		fn(b, s)
	})
	b.Run("redis", func(b *testing.B) {
		rdb := testenv.Redis(b)
		fn(b, testenv.Must(registryredis.New(rdb, registryredis.WithPrefix(testenv.Prefix(b, rdb)))))
	})
}

// BenchmarkRegister measures Register followed by Close: seal, one Put,
// start and stop the heartbeat goroutine, one compare-and-delete (two
// round trips on Redis).
func BenchmarkRegister(b *testing.B) {
	benchBackends(b, func(b *testing.B, store registry.Store) {
		c, err := registry.New(newCipher(b, 1), registry.WithStore(store))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		inst := instance("main", "bench", "person", "contact")
		b.ReportAllocs()
		for b.Loop() {
			r, err := c.Register(ctx, inst)
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Close(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHeartbeat measures the steady-state cost of one heartbeat:
// seal an entry and Put it (one round trip on Redis).
func BenchmarkHeartbeat(b *testing.B) {
	benchBackends(b, func(b *testing.B, store registry.Store) {
		sealer := newCipher(b, 1)
		ctx := context.Background()
		entry := []byte(`{"v":1,"instance":{"service":"main","id":"bench","endpoints":["person","contact"],` +
			`"public_url":"https://main.example.com/api/v1","created":"2025-01-01T00:00:00Z"},` +
			`"heartbeat":"2025-01-01T00:00:00Z","ttl":60000000000}`)
		b.ReportAllocs()
		for b.Loop() {
			value, err := sealer.Seal(entry, []byte("apicrud-go/registry/v1\x00main:bench"))
			if err != nil {
				b.Fatal(err)
			}
			if err := store.Put(ctx, "main:bench", value, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFind measures Find over a registry of n instances (one round
// trip on Redis, then one Open and JSON decode per entry), from all cores.
func BenchmarkFind(b *testing.B) {
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			benchBackends(b, func(b *testing.B, store registry.Store) {
				c, err := registry.New(newCipher(b, 1), registry.WithStore(store))
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				b.Cleanup(cancel)
				for i := range n {
					r, err := c.Register(ctx, instance("main", fmt.Sprintf("host-%d", i), "person", "contact"))
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { _ = r.Close(context.Background()) })
				}
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						res, err := c.Find(ctx, "main")
						if err != nil || len(res.Instances) != n {
							b.Errorf("Find: %d instances, %v", len(res.Instances), err)
							return
						}
					}
				})
			})
		})
	}
}
