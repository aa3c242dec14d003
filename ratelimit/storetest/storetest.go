package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/ratelimit"
)

// Run runs every case against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) ratelimit.Store) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, s ratelimit.Store)
	}{
		{"FullBurst", testFullBurst},
		{"AllowN", testAllowN},
		{"PartialDenial", testPartialDenial},
		{"DenialTakesNothing", testDenialTakesNothing},
		{"PeekTakesNothing", testPeek},
		{"BurstDiffersFromRate", testBurstDiffersFromRate},
		{"FractionalInterval", testFractionalInterval},
		{"KeysIndependent", testKeysIndependent},
		{"OddKeys", testOddKeys},
		{"Reset", testReset},
		{"Refill", testRefill},
		{"FullAgainAfterReset", testFullAgain},
		{"CancelledContext", testCancelledContext},
		{"Concurrent", testConcurrent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, newStore(t))
		})
	}
}

// hour is a limit whose interval (36 s for 100/h) is far longer than any
// test step, so nothing refills while a case runs.
var hour = ratelimit.PerHour(100)

func allow(t *testing.T, s ratelimit.Store, key string, l ratelimit.Limit, n int) ratelimit.Result {
	t.Helper()
	res, err := s.Allow(t.Context(), key, l, n)
	require.NoError(t, err)
	require.Equal(t, l, res.Limit, "Result.Limit")
	return res
}

// near reports whether got is within slack below want (a store's clock
// moves on between the moment it decides and the moment we look).
func near(t *testing.T, want, got, slack time.Duration, what string) {
	t.Helper()
	require.LessOrEqual(t, got, want, "%s = %v, want at most %v", what, got, want)
	require.GreaterOrEqual(t, got, want-slack, "%s = %v, want at least %v", what, got, want-slack)
}

const slack = 5 * time.Second // generous: machines under load, far below hour's interval

func testFullBurst(t *testing.T, s ratelimit.Store) {
	iv := hour.Interval()
	for i := 1; i <= hour.MaxBurst(); i++ {
		res := allow(t, s, "k", hour, 1)
		require.Equal(t, 1, res.Allowed, "event %d", i)
		require.Equal(t, hour.MaxBurst()-i, res.Remaining, "event %d", i)
		require.Zero(t, res.RetryAfter, "event %d", i)
		near(t, time.Duration(i)*iv, res.ResetAfter, slack, "ResetAfter")
	}
	res := allow(t, s, "k", hour, 1)
	require.Equal(t, 0, res.Allowed)
	require.Equal(t, 0, res.Remaining)
	near(t, iv, res.RetryAfter, slack, "RetryAfter")
	near(t, time.Duration(hour.MaxBurst())*iv, res.ResetAfter, slack, "ResetAfter")
	require.Equal(t, res.RetryAfter, res.RefillAfter(), "RefillAfter of a denied single event")
}

func testAllowN(t *testing.T, s ratelimit.Store) {
	l := ratelimit.PerHour(10)
	res := allow(t, s, "k", l, 10)
	require.Equal(t, 10, res.Allowed)
	require.Equal(t, 0, res.Remaining)
	near(t, 10*l.Interval(), res.ResetAfter, slack, "ResetAfter")
	res = allow(t, s, "k", l, 1)
	require.Equal(t, 0, res.Allowed)

	res = allow(t, s, "k2", l, 4)
	require.Equal(t, 4, res.Allowed)
	require.Equal(t, 6, res.Remaining)
	res = allow(t, s, "k2", l, 6)
	require.Equal(t, 6, res.Allowed)
	require.Equal(t, 0, res.Remaining)
}

func testPartialDenial(t *testing.T, s ratelimit.Store) {
	l := ratelimit.PerHour(5)
	require.Equal(t, 3, allow(t, s, "k", l, 3).Allowed)
	res := allow(t, s, "k", l, 3) // 2 left: 3 is denied, nothing taken
	require.Equal(t, 0, res.Allowed)
	require.Equal(t, 2, res.Remaining)
	near(t, l.Interval(), res.RetryAfter, slack, "RetryAfter")
	res = allow(t, s, "k", l, 2)
	require.Equal(t, 2, res.Allowed)
	require.Equal(t, 0, res.Remaining)
}

func testDenialTakesNothing(t *testing.T, s ratelimit.Store) {
	l := ratelimit.PerHour(3)
	require.Equal(t, 3, allow(t, s, "k", l, 3).Allowed)
	first := allow(t, s, "k", l, 1)
	for range 20 {
		res := allow(t, s, "k", l, 1)
		require.Equal(t, 0, res.Allowed)
		require.LessOrEqual(t, res.RetryAfter, first.RetryAfter, "denials must not push the retry time back")
		require.LessOrEqual(t, res.ResetAfter, first.ResetAfter, "denials must not push the reset time back")
	}
}

func testPeek(t *testing.T, s ratelimit.Store) {
	res := allow(t, s, "k", hour, 0)
	require.Equal(t, ratelimit.Result{Limit: hour, Remaining: hour.MaxBurst()}, res, "peek at an unknown key")
	require.Equal(t, 1, allow(t, s, "k", hour, 1).Allowed)
	for range 3 {
		res = allow(t, s, "k", hour, 0)
		require.Equal(t, 0, res.Allowed)
		require.Equal(t, hour.MaxBurst()-1, res.Remaining)
		require.Zero(t, res.RetryAfter)
		near(t, hour.Interval(), res.ResetAfter, slack, "ResetAfter")
	}
}

func testBurstDiffersFromRate(t *testing.T, s ratelimit.Store) {
	small := ratelimit.Limit{Rate: 100, Period: time.Hour, Burst: 3}
	require.Equal(t, 3, allow(t, s, "small", small, 3).Allowed)
	require.Equal(t, 0, allow(t, s, "small", small, 1).Allowed)

	big := ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 7}
	for i := range 7 {
		require.Equal(t, 1, allow(t, s, "big", big, 1).Allowed, "event %d", i)
	}
	res := allow(t, s, "big", big, 1)
	require.Equal(t, 0, res.Allowed)
	near(t, time.Hour, res.RetryAfter, slack, "RetryAfter")
}

func testFractionalInterval(t *testing.T, s ratelimit.Store) {
	// 7 per 10 h: the interval is not a whole number of microseconds.
	l := ratelimit.Per(7, 10*time.Hour)
	for i := range 7 {
		require.Equal(t, 1, allow(t, s, "k", l, 1).Allowed, "event %d", i)
	}
	res := allow(t, s, "k", l, 1)
	require.Equal(t, 0, res.Allowed)
	require.Equal(t, 0, res.Remaining)
}

func testKeysIndependent(t *testing.T, s ratelimit.Store) {
	l := ratelimit.PerHour(2)
	require.Equal(t, 2, allow(t, s, "a", l, 2).Allowed)
	require.Equal(t, 0, allow(t, s, "a", l, 1).Allowed)
	require.Equal(t, 2, allow(t, s, "b", l, 2).Allowed)
	require.Equal(t, 2, allow(t, s, "a:x", l, 2).Allowed)
}

func testOddKeys(t *testing.T, s ratelimit.Store) {
	l := ratelimit.PerHour(1)
	keys := []string{"", "{", "}", "{a}b", "a}{b", "*:u:x", "ümlaut ☃", "new\nline", "nul\x00byte", strings.Repeat("k", 1024)}
	for _, k := range keys {
		require.Equal(t, 1, allow(t, s, k, l, 1).Allowed, "key %q", k)
	}
	for _, k := range keys {
		require.Equal(t, 0, allow(t, s, k, l, 1).Allowed, "key %q", k)
	}
}

func testReset(t *testing.T, s ratelimit.Store) {
	ctx := t.Context()
	l := ratelimit.PerHour(2)
	require.Equal(t, 2, allow(t, s, "k", l, 2).Allowed)
	require.Equal(t, 2, allow(t, s, "other", l, 2).Allowed)
	require.NoError(t, s.Reset(ctx, "k"))
	require.Equal(t, ratelimit.Result{Limit: l, Remaining: 2}, allow(t, s, "k", l, 0))
	require.Equal(t, 2, allow(t, s, "k", l, 2).Allowed)
	require.Equal(t, 0, allow(t, s, "other", l, 1).Allowed, "Reset touched another key")
	require.NoError(t, s.Reset(ctx, "never-used"))
}

func testRefill(t *testing.T, s ratelimit.Store) {
	// 2 per 400 ms: one event comes back every 200 ms.
	l := ratelimit.Per(2, 400*time.Millisecond)
	require.Equal(t, 2, allow(t, s, "k", l, 2).Allowed)
	start := time.Now()
	res := allow(t, s, "k", l, 1)
	require.Equal(t, 0, res.Allowed)
	require.LessOrEqual(t, res.RetryAfter, 200*time.Millisecond)
	require.Eventually(t, func() bool {
		return allow(t, s, "k", l, 1).Allowed == 1
	}, 5*time.Second, 10*time.Millisecond)
	require.GreaterOrEqual(t, time.Since(start), res.RetryAfter-20*time.Millisecond, "refilled before RetryAfter")
}

func testFullAgain(t *testing.T, s ratelimit.Store) {
	l := ratelimit.Per(3, 300*time.Millisecond)
	require.Equal(t, 3, allow(t, s, "k", l, 3).Allowed)
	require.Eventually(t, func() bool {
		return allow(t, s, "k", l, 0).Remaining == 3
	}, 5*time.Second, 10*time.Millisecond)
	res := allow(t, s, "k", l, 3)
	require.Equal(t, 3, res.Allowed, "a full burst after ResetAfter")
}

func testCancelledContext(t *testing.T, s ratelimit.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Allow(ctx, "k", hour, 1)
	require.Error(t, err)
	require.Error(t, s.Reset(ctx, "k"))
	require.Equal(t, hour.MaxBurst(), allow(t, s, "k", hour, 0).Remaining, "a failed Allow took an event")
}

// testConcurrent: 50 goroutines race for a burst of 100 on one key (and
// 100 on a second key): exactly 100 are allowed each, and the Results
// count down without gaps or duplicates.
func testConcurrent(t *testing.T, s ratelimit.Store) {
	const workers, tries = 50, 6
	var wg sync.WaitGroup
	var allowed [2]atomic.Int64
	remaining := [2]sync.Map{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range tries {
				k := (w + i) % 2
				res, err := s.Allow(context.Background(), fmt.Sprintf("key%d", k), hour, 1)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Allowed == 1 {
					allowed[k].Add(1)
					if _, dup := remaining[k].LoadOrStore(res.Remaining, true); dup {
						t.Errorf("key%d: Remaining %d reported twice", k, res.Remaining)
					}
				}
			}
		}()
	}
	wg.Wait()
	for k := range 2 {
		require.Equal(t, int64(hour.MaxBurst()), allowed[k].Load(), "key%d allowed", k)
	}
}
