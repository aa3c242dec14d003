package ratelimit_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/ratelimit"
)

// BenchmarkAllowKeys measures Limiter.Allow on the memory store from one
// goroutine visiting 100,000 keys, that all have their bucket, in a fixed
// random order (the case of many callers, where the cost is finding the
// bucket).
func BenchmarkAllowKeys(b *testing.B) {
	l, err := ratelimit.New(ratelimit.WithDefaultLimit(ratelimit.Limit{Rate: 1_000_000, Period: time.Second, Burst: 1_000_000_000}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close(context.Background()) })
	ctx := context.Background()
	uids := make([]string, 100_000)
	for i := range uids {
		uids[i] = "u-" + strconv.Itoa(i)
		if _, err := l.Allow(ctx, ratelimit.Key{Service: "*", UID: uids[i]}, 1); err != nil {
			b.Fatal(err)
		}
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(len(uids))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := l.Allow(ctx, ratelimit.Key{Service: "*", UID: uids[order[i]]}, 1); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(order) {
			i = 0
		}
	}
}
