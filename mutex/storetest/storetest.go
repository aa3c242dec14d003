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

	"github.com/apicrud-go/apicrud/mutex"
)

// Run runs every case against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) mutex.Store) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, s mutex.Store)
	}{
		{"ObtainFree", testObtainFree},
		{"ObtainHeld", testObtainHeld},
		{"ReleaseCompares", testReleaseCompares},
		{"ExtendCompares", testExtendCompares},
		{"FencingTokensIncrease", testFencing},
		{"Expiry", testExpiry},
		{"LateReleaseAfterExpiry", testLateRelease},
		{"ExtendKeepsHeld", testExtendKeepsHeld},
		{"NamesIndependent", testNamesIndependent},
		{"OddNames", testOddNames},
		{"CancelledContext", testCancelledContext},
		{"ConcurrentObtain", testConcurrentObtain},
		{"MutualExclusion", testMutualExclusion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, newStore(t))
		})
	}
}

func obtain(t *testing.T, s mutex.Store, name, token string, ttl time.Duration) (int64, bool) {
	t.Helper()
	fence, ok, err := s.Obtain(t.Context(), name, token, ttl)
	require.NoError(t, err)
	if ok {
		require.Positive(t, fence)
	} else {
		require.Zero(t, fence)
	}
	return fence, ok
}

func release(t *testing.T, s mutex.Store, name, token string) bool {
	t.Helper()
	ok, err := s.Release(t.Context(), name, token)
	require.NoError(t, err)
	return ok
}

func extend(t *testing.T, s mutex.Store, name, token string, ttl time.Duration) bool {
	t.Helper()
	ok, err := s.Extend(t.Context(), name, token, ttl)
	require.NoError(t, err)
	return ok
}

func testObtainFree(t *testing.T, s mutex.Store) {
	fence, ok := obtain(t, s, "a", "t1", time.Minute)
	require.True(t, ok)
	require.Positive(t, fence, "the first fencing token of a name")
}

func testObtainHeld(t *testing.T, s mutex.Store) {
	_, ok := obtain(t, s, "a", "t1", time.Minute)
	require.True(t, ok)
	_, ok = obtain(t, s, "a", "t2", time.Minute)
	require.False(t, ok, "held by t1")
	_, ok = obtain(t, s, "a", "t1", time.Minute)
	require.False(t, ok, "not re-entrant, even for the same token")
	require.True(t, release(t, s, "a", "t1"), "the holder is still t1")
}

func testReleaseCompares(t *testing.T, s mutex.Store) {
	_, ok := obtain(t, s, "a", "t1", time.Minute)
	require.True(t, ok)
	require.False(t, release(t, s, "a", "t2"), "another token must not release")
	_, ok = obtain(t, s, "a", "t3", time.Minute)
	require.False(t, ok, "still held after a foreign release")
	require.True(t, release(t, s, "a", "t1"))
	require.False(t, release(t, s, "a", "t1"), "second release")
	require.False(t, release(t, s, "never", "t1"), "release of a name never locked")
	_, ok = obtain(t, s, "a", "t3", time.Minute)
	require.True(t, ok, "free after release")
}

func testExtendCompares(t *testing.T, s mutex.Store) {
	require.False(t, extend(t, s, "a", "t1", time.Minute), "extend of a free lock")
	_, ok := obtain(t, s, "a", "t1", time.Minute)
	require.True(t, ok)
	require.False(t, extend(t, s, "a", "t2", time.Minute), "another token must not extend")
	require.True(t, extend(t, s, "a", "t1", time.Minute))
	require.True(t, release(t, s, "a", "t1"))
	require.False(t, extend(t, s, "a", "t1", time.Minute), "extend after release")
	_, ok = obtain(t, s, "a", "t2", time.Minute)
	require.True(t, ok, "an extend after release must not have re-taken the lock")
}

func testFencing(t *testing.T, s mutex.Store) {
	var last int64
	for i := range 5 {
		tok := fmt.Sprintf("t%d", i)
		fence, ok := obtain(t, s, "a", tok, time.Minute)
		require.True(t, ok)
		require.Greater(t, fence, last, "hold %d", i)
		last = fence
		_, ok = obtain(t, s, "a", "intruder", time.Minute)
		require.False(t, ok)
		require.True(t, release(t, s, "a", tok))
	}
	// After an expiry, too.
	fence, ok := obtain(t, s, "a", "short", 50*time.Millisecond)
	require.True(t, ok)
	require.Greater(t, fence, last)
	last = fence
	require.Eventually(t, func() bool {
		f, ok := obtain(t, s, "a", "after", time.Minute)
		if ok {
			require.Greater(t, f, last, "fencing token after an expiry")
		}
		return ok
	}, 5*time.Second, 10*time.Millisecond)
	// Per name: another name has tokens of its own.
	fence, ok = obtain(t, s, "b", "t", time.Minute)
	require.True(t, ok)
	require.Positive(t, fence)
}

// testExpiry: a holder that crashed (never releases) blocks others only
// until its TTL ends.
func testExpiry(t *testing.T, s mutex.Store) {
	_, ok := obtain(t, s, "a", "crashed", 150*time.Millisecond)
	require.True(t, ok)
	start := time.Now()
	_, ok = obtain(t, s, "a", "next", time.Minute)
	require.False(t, ok)
	require.Eventually(t, func() bool {
		_, ok := obtain(t, s, "a", "next", time.Minute)
		return ok
	}, 5*time.Second, 10*time.Millisecond)
	require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "freed long before its TTL")
}

// testLateRelease: a holder whose TTL ran out and whose lock went to
// another must not release or extend the new holder's lock.
func testLateRelease(t *testing.T, s mutex.Store) {
	_, ok := obtain(t, s, "a", "slow", 50*time.Millisecond)
	require.True(t, ok)
	require.Eventually(t, func() bool {
		_, ok := obtain(t, s, "a", "new", time.Minute)
		return ok
	}, 5*time.Second, 10*time.Millisecond)
	require.False(t, release(t, s, "a", "slow"), "late release")
	require.False(t, extend(t, s, "a", "slow", time.Minute), "late extend")
	_, ok = obtain(t, s, "a", "third", time.Minute)
	require.False(t, ok, "the new holder's lock was deleted by a late release")
	require.True(t, release(t, s, "a", "new"))
}

func testExtendKeepsHeld(t *testing.T, s mutex.Store) {
	_, ok := obtain(t, s, "a", "t1", 300*time.Millisecond)
	require.True(t, ok)
	require.True(t, extend(t, s, "a", "t1", time.Minute))
	// Held all the way past the original TTL.
	require.Never(t, func() bool {
		_, ok, err := s.Obtain(context.Background(), "a", "t2", time.Minute)
		return ok || err != nil
	}, 450*time.Millisecond, 25*time.Millisecond, "extended lock expired at its original TTL (or Obtain failed)")
	require.True(t, release(t, s, "a", "t1"))

	// Extend can also shorten.
	_, ok = obtain(t, s, "b", "t1", time.Minute)
	require.True(t, ok)
	require.True(t, extend(t, s, "b", "t1", 50*time.Millisecond))
	require.Eventually(t, func() bool {
		_, ok := obtain(t, s, "b", "t2", time.Minute)
		return ok
	}, 5*time.Second, 10*time.Millisecond)
}

func testNamesIndependent(t *testing.T, s mutex.Store) {
	for _, n := range []string{"a", "b", "a:lock", "a:fence", "A"} {
		_, ok := obtain(t, s, n, "t", time.Minute)
		require.True(t, ok, "name %q", n)
	}
	require.True(t, release(t, s, "a", "t"))
	_, ok := obtain(t, s, "b", "u", time.Minute)
	require.False(t, ok)
}

func testOddNames(t *testing.T, s mutex.Store) {
	names := []string{"{", "}", "{a}b", "a}{b", "}:fence", "ümlaut ☃", "new\nline", "nul\x00byte", strings.Repeat("n", mutex.MaxNameLength)}
	for _, n := range names {
		fence, ok := obtain(t, s, n, "t", time.Minute)
		require.True(t, ok, "name %q", n)
		require.Positive(t, fence, "name %q", n)
	}
	for _, n := range names {
		_, ok := obtain(t, s, n, "u", time.Minute)
		require.False(t, ok, "name %q", n)
		require.True(t, extend(t, s, n, "t", time.Minute), "name %q", n)
		require.True(t, release(t, s, n, "t"), "name %q", n)
	}
}

func testCancelledContext(t *testing.T, s mutex.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := s.Obtain(ctx, "a", "t", time.Minute)
	require.Error(t, err)
	_, err = s.Extend(ctx, "a", "t", time.Minute)
	require.Error(t, err)
	_, err = s.Release(ctx, "a", "t")
	require.Error(t, err)
	fence, ok := obtain(t, s, "a", "t", time.Minute)
	require.True(t, ok, "a failed Obtain took the lock")
	require.Positive(t, fence)
}

// testConcurrentObtain: 50 goroutines try one free lock at once; exactly
// one gets it.
func testConcurrentObtain(t *testing.T, s mutex.Store) {
	const n = 50
	var won atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, ok, err := s.Obtain(context.Background(), "a", fmt.Sprintf("t%d", i), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	require.Equal(t, int64(1), won.Load())
}

// testMutualExclusion: 20 goroutines × 25 holds of one lock, spinning on
// Obtain: never two holders at once, and fencing tokens strictly increase
// in the order of the holds.
func testMutualExclusion(t *testing.T, s mutex.Store) {
	const workers, holds = 20, 25
	var inside, last, total atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ctx := context.Background()
			for h := range holds {
				tok := fmt.Sprintf("w%d-h%d", w, h)
				var fence int64
				for {
					f, ok, err := s.Obtain(ctx, "a", tok, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						fence = f
						break
					}
					time.Sleep(100 * time.Microsecond)
				}
				if n := inside.Add(1); n != 1 {
					t.Errorf("%d holders at once", n)
				}
				if prev := last.Swap(fence); prev >= fence {
					t.Errorf("fencing token %d after %d", fence, prev)
				}
				total.Add(1)
				inside.Add(-1)
				ok, err := s.Release(ctx, "a", tok)
				if err != nil || !ok {
					t.Errorf("release: %v %v", ok, err)
					return
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(workers*holds), total.Load())
}
