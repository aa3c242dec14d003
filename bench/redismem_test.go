package bench

import (
	"context"
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	grantsredis "github.com/apicrud-go/apicrud/grants/redisstore"
	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/ratelimit"
	ratelimitredis "github.com/apicrud-go/apicrud/ratelimit/redisstore"
	"github.com/apicrud-go/apicrud/session"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
)

var memUsers = flag.Int("memusers", 100_000, "synthetic users of BenchmarkRedisBytesPerUser")

// BenchmarkRedisBytesPerUser measures the Redis memory an active user
// costs: -memusers users (100,000 by default) each log in once
// (session.Manager.Create on the Redis store, a login's values), are
// rate-limited once (ratelimit.Limiter.Allow) and have their grants cached
// (grantsredis, no override), all under a key prefix of the benchmark's
// own, deleted afterwards. It reports MEMORY USAGE per key type, averaged
// over 1,000 users picked at random ("<type>-B"), their sum per user
// ("B/user"), and the growth of INFO used_memory divided by the users
// ("info-B/user"; other clients of a shared server move it too).
//
//	go test -run '^$' -bench RedisBytesPerUser -benchtime 1x .
func BenchmarkRedisBytesPerUser(b *testing.B) {
	rdb, prefix := redisForBench(b)
	ctx := context.Background()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := testenv.DeleteKeys(ctx, rdb, prefix); err != nil {
			b.Errorf("deleting the keys: %v", err)
		}
	})
	store := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix+"session:")))
	m, err := session.New(newGCM(b), []byte("0123456789abcdef0123456789abcdef"), session.WithStore(store))
	if err != nil {
		b.Fatal(err)
	}
	lim, err := ratelimit.New(ratelimit.WithStore(testenv.Must(ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix+"ratelimit:")))),
		// 100 a day: the bucket's key lives 14 minutes after a request (a
		// GCRA key expires when its bucket is full again), so it is there
		// when measured, as an active user's is.
		ratelimit.WithDefaultLimit(ratelimit.Limit{Rate: 100, Period: 24 * time.Hour, Burst: 100}))
	if err != nil {
		b.Fatal(err)
	}
	gc := testenv.Must(grantsredis.New(rdb, grantsredis.WithPrefix(prefix+"grants:")))
	users := *memUsers
	uid := func(i int) string { return fmt.Sprintf("%08x-4b1d-4c1e-9a3f-%012d", i, i) } // uuid-shaped
	for b.Loop() {
		before := usedMemory(b, rdb)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < users; i += 8 {
					u := uid(i)
					if _, _, err := m.Create(ctx, u, []string{"user"}, session.Extra{
						Method: "password", Values: map[string]string{"username": "user" + strconv.Itoa(i)},
					}); err != nil {
						errs <- err
						return
					}
					if _, err := lim.Allow(ctx, ratelimit.Key{Service: "*", UID: u}, 1); err != nil {
						errs <- err
						return
					}
					if err := gc.Set(ctx, u, 0, nil, time.Hour); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		after := usedMemory(b, rdb)
		// MEMORY USAGE of every key of 1,000 users (every step-th), by key type.
		step := max(1, users/1000)
		sampled := (users + step - 1) / step
		sums := map[string]int64{}
		var cursor uint64
		for {
			keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 10_000).Result()
			if err != nil {
				b.Fatal(err)
			}
			for _, k := range keys {
				m := uidRe.FindStringSubmatch(k)
				if m == nil {
					continue
				}
				if i, _ := strconv.Atoi(m[1]); i%step != 0 {
					continue
				}
				n, err := rdb.MemoryUsage(ctx, k, 0).Result()
				if err != nil {
					b.Fatal(err)
				}
				sums[keyType(prefix, k)] += n
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
		var total float64
		for t, s := range sums {
			v := float64(s) / float64(sampled)
			total += v
			b.ReportMetric(v, t+"-B")
		}
		b.ReportMetric(total, "B/user")
		b.ReportMetric(float64(after-before)/float64(users), "info-B/user")
	}
}

// uidRe finds the synthetic uid in a key and its number.
var uidRe = regexp.MustCompile(`[0-9a-f]{8}-4b1d-4c1e-9a3f-(\d{12})`)

// keyType names a key by its store and role: session, session-index,
// ratelimit, grants.
func keyType(prefix, k string) string {
	rest := strings.TrimPrefix(k, prefix)
	store, _, _ := strings.Cut(rest, ":")
	if store == "session" && strings.HasSuffix(k, ":idx") {
		return "session-index"
	}
	return store
}

func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no used_memory in INFO memory")
	return 0
}
