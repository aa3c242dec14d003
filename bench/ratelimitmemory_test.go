package bench

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sethvargo/go-limiter/memorystore"
	"golang.org/x/time/rate"

	"github.com/apicrud-go/apicrud/ratelimit"
)

// memoryKeys is how many callers BenchmarkRateLimitMemory spreads its
// checks over.
const memoryKeys = 100_000

// rateMap is how a host limits many keys with golang.org/x/time/rate: a
// map of one rate.Limiter per key, created on first use, behind a
// read-write mutex (rate has no keyed store of its own).
type rateMap struct {
	mu    sync.RWMutex
	m     map[string]*rate.Limiter
	limit rate.Limit
	burst int
}

func (r *rateMap) allow(key string) bool {
	r.mu.RLock()
	l := r.m[key]
	r.mu.RUnlock()
	if l == nil {
		r.mu.Lock()
		if l = r.m[key]; l == nil {
			l = rate.NewLimiter(r.limit, r.burst)
			r.m[key] = l
		}
		r.mu.Unlock()
	}
	return l.Allow()
}

// BenchmarkRateLimitMemory compares one in-process rate-limit check of one
// event for one of 100,000 callers: apicrud's Limiter.Allow on its memory
// store (the caller's limit resolved, the bucket found by service and UID,
// GCRA), sethvargo/go-limiter's memorystore Take (a token bucket per key
// string) and golang.org/x/time/rate (rateMap above, then Limiter.Allow).
// The limits are high enough that every check is allowed, every key has
// its bucket before the rounds start, and the keys are visited in a fixed
// random order. Sides alternate in rounds
// (compare).
//
//   - serial: one goroutine walks the keys in order.
//   - parallel: GOMAXPROCS goroutines, each walking the keys from its own
//     offset.
func BenchmarkRateLimitMemory(b *testing.B) {
	ctx := context.Background()
	uids := make([]string, memoryKeys)
	for i := range uids {
		uids[i] = "u-" + strconv.Itoa(i)
	}
	lim, err := ratelimit.New(ratelimit.WithDefaultLimit(ratelimit.Limit{Rate: 1_000_000, Period: time.Second, Burst: 1_000_000_000}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = lim.Close(context.Background()) })
	gl, err := memorystore.New(&memorystore.Config{Tokens: 1_000_000_000, Interval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = gl.Close(context.Background()) })
	xr := &rateMap{m: map[string]*rate.Limiter{}, limit: 1_000_000_000, burst: 1_000_000_000}

	errDenied := errors.New("denied")
	apicrud := func(i int) error {
		res, err := lim.Allow(ctx, ratelimit.Key{Service: "*", UID: uids[i]}, 1)
		if err == nil && res.Allowed != 1 {
			err = errDenied
		}
		return err
	}
	goLimiter := func(i int) error {
		_, _, _, ok, err := gl.Take(ctx, uids[i])
		if err == nil && !ok {
			err = errDenied
		}
		return err
	}
	xtime := func(i int) error {
		if !xr.allow(uids[i]) {
			return errDenied
		}
		return nil
	}
	for i := range memoryKeys { // every key has its bucket
		for _, f := range []func(int) error{apicrud, goLimiter, xtime} {
			if err := f(i); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The keys are visited in a fixed random order, as requests from many
	// callers arrive: a walk in the order of the keys' creation would favour
	// the stores whose buckets are separate objects allocated in that order
	// (the hardware prefetcher follows the walk).
	order := rand.New(rand.NewPCG(1, 2)).Perm(memoryKeys)
	// walk returns a side whose goroutine g walks order from g's offset.
	walk := func(name string, f func(int) error) side {
		return side{name: name, newOp: func(g int) func() error {
			i := g * (memoryKeys / 7)
			return func() error {
				i++
				if i == memoryKeys {
					i = 0
				}
				return f(order[i])
			}
		}}
	}
	sides := []side{walk("apicrud", apicrud), walk("go-limiter", goLimiter), walk("x/time/rate", xtime)}
	b.Run("serial", func(b *testing.B) { compare(b, 1, sides...) })
	b.Run("parallel", func(b *testing.B) { compare(b, runtime.GOMAXPROCS(0), sides...) })
}
