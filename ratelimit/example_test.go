package ratelimit_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/apicrud-go/apicrud/ratelimit"
)

func Example() {
	ctx := context.Background()
	lim, err := ratelimit.New(ratelimit.WithDefaultLimit(ratelimit.PerHour(3)))
	if err != nil {
		log.Fatal(err)
	}
	defer lim.Close(ctx)

	key := ratelimit.Key{Service: "send_sms", UID: "u-1234abcd"}
	for range 4 {
		res, err := lim.Allow(ctx, key, 1)
		if err != nil {
			log.Fatal(err) // the check could not be made
		}
		if res.Allowed == 0 {
			fmt.Printf("denied, retry in about %v\n", res.RetryAfter.Round(time.Minute))
			continue
		}
		fmt.Println("allowed, remaining", res.Remaining)
	}
	// Output:
	// allowed, remaining 2
	// allowed, remaining 1
	// allowed, remaining 0
	// denied, retry in about 20m0s
}

func ExampleLimiter_Handler() {
	lim, err := ratelimit.New(
		ratelimit.WithAnonymousLimit(ratelimit.PerHour(2)),
		ratelimit.WithTrustedProxies("10.0.0.0/8"),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer lim.Close(context.Background())
	h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "hello")
	}))

	for range 3 {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/person", nil)
		r.RemoteAddr = "10.0.0.7:34567"                  // the load balancer
		r.Header.Set("X-Forwarded-For", "198.51.100.23") // the client it saw
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("RateLimit-Policy"), w.Header().Get("RateLimit"))
		if ra := w.Header().Get("Retry-After"); ra != "" {
			fmt.Println("Retry-After:", ra)
		}
	}
	// Output:
	// 200 "default";q=2;w=3600 "default";r=1;t=1800
	// 200 "default";q=2;w=3600 "default";r=0;t=1800
	// 429 "default";q=2;w=3600 "default";r=0;t=1800
	// Retry-After: 1800
}

// grants is a LimitSource: requests per the default limit's period.
type grants map[string]int

func (g grants) RateLimit(_ context.Context, uid, _ string) (int, bool, error) {
	n, ok := g[uid]
	return n, ok, nil
}

func ExampleWithLimitSource() {
	ctx := context.Background()
	lim, err := ratelimit.New(
		ratelimit.WithDefaultLimit(ratelimit.PerMinute(10)),
		ratelimit.WithLimitSource(grants{"u-premium": 1000}),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer lim.Close(ctx)
	for _, uid := range []string{"u-premium", "u-basic"} {
		l, err := lim.Limit(ctx, ratelimit.Key{Service: "*", UID: uid})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(uid, l)
	}
	// Output:
	// u-premium 1000 req/min
	// u-basic 10 req/min
}

func ExampleLimit_Validate() {
	for _, l := range []ratelimit.Limit{
		ratelimit.PerSecond(20),
		{Rate: 10, Period: time.Minute, Burst: 30},
		{Rate: 10},
	} {
		fmt.Printf("%v: %v\n", l, l.Validate())
	}
	// Output:
	// 20 req/s: <nil>
	// 10 req/min (burst 30): <nil>
	// 10 req/0s: ratelimit: invalid limit: period 0s must be positive
}

// remoteStore stands for a store shared by several instances, such as
// ratelimitredis.New(rdb): it counts the round trips the Limiter makes.
type remoteStore struct {
	ratelimit.Store
	trips int
}

func (s *remoteStore) Allow(ctx context.Context, key string, limit ratelimit.Limit, n int) (ratelimit.Result, error) {
	s.trips++
	return s.Store.Allow(ctx, key, limit, n)
}

// ExampleWithReservation: a busy key costs one round trip per batch of
// events instead of one per check, for a bounded overshoot (here at most
// 100 ms × 1,000 per second = 100 events over any span, across all
// instances).
func ExampleWithReservation() {
	ctx := context.Background()
	mem := ratelimit.NewMemoryStore()
	defer mem.Close(ctx)
	store := &remoteStore{Store: mem} // in production: ratelimitredis.New(rdb)
	lim, err := ratelimit.New(
		ratelimit.WithStore(store),
		ratelimit.WithDefaultLimit(ratelimit.PerSecond(1000)),
		ratelimit.WithReservation(64, 100*time.Millisecond),
	)
	if err != nil {
		log.Fatal(err)
	}
	key := ratelimit.Key{Service: ratelimit.DefaultService, UID: "u-1234abcd"}
	allowed := 0
	for range 300 {
		res, err := lim.Allow(ctx, key, 1)
		if err != nil {
			log.Fatal(err)
		}
		allowed += res.Allowed
	}
	// Reservations of 1, 2, 4, ... 64 events, then 64 at a time.
	fmt.Println(allowed, "allowed,", store.trips, "round trips")
	// Output:
	// 300 allowed, 10 round trips
}
