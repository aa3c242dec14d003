package mutex_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/mutex"
)

// Every test of this file but TestLockerConcurrent runs inside
// synctest.Test, on the memory store: time is fake, a store call takes no
// time, and durations are exact. The same behaviour on Redis, with real
// time, is tested in mutex/redisstore.

// op is what a step does.
type op int

const (
	try     op = iota // Locker.TryAcquire(who's name, ttl)
	acquire           // Locker.Acquire(name, ttl)
	extend            // who's Lock.Extend(ttl)
	release           // who's Lock.Release
)

func (o op) String() string {
	return [...]string{"try", "acquire", "extend", "release"}[o]
}

// step is one call on a Locker in a step table.
type step struct {
	at    time.Duration // when the step starts, since the start of the table
	who   string        // the caller; a successful try or acquire becomes its Lock
	op    op
	ttl   time.Duration // for try, acquire and extend
	want  error         // nil, or what errors.Is must match
	fence int64         // try and acquire: the fencing token wanted (0: not checked)
	// acquire: it must return after waiting at least took and at most
	// took+slack.
	took, slack time.Duration
}

// run executes steps in order on one lock name, sleeping (fake time) until
// each step's time.
func run(t *testing.T, l *mutex.Locker, steps []step) {
	t.Helper()
	start := time.Now()
	locks := map[string]*mutex.Lock{}
	for i, s := range steps {
		wait := s.at - time.Since(start)
		if wait < 0 {
			t.Fatalf("step %d (%s %s at %v) is late: it is %v", i, s.who, s.op, s.at, time.Since(start))
		}
		time.Sleep(wait)
		ctx := t.Context()
		began := time.Now()
		var err error
		switch s.op {
		case try, acquire:
			var lock *mutex.Lock
			if s.op == try {
				lock, err = l.TryAcquire(ctx, "job", s.ttl)
			} else {
				lock, err = l.Acquire(ctx, "job", s.ttl)
			}
			if err == nil {
				locks[s.who] = lock
				if s.fence != 0 && lock.FencingToken() != s.fence {
					t.Errorf("step %d: %s %s: fencing token %d, want %d", i, s.who, s.op, lock.FencingToken(), s.fence)
				}
			}
			if s.op == acquire {
				if took := time.Since(began); took < s.took || took > s.took+s.slack {
					t.Errorf("step %d: %s acquire waited %v, want %v to %v", i, s.who, took, s.took, s.took+s.slack)
				}
			}
		case extend:
			err = locks[s.who].Extend(ctx, s.ttl)
		case release:
			err = locks[s.who].Release(ctx)
		}
		if s.want == nil && err != nil || s.want != nil && !errors.Is(err, s.want) {
			t.Errorf("step %d at %v: %s %s = %v, want %v", i, s.at, s.who, s.op, err, s.want)
		}
	}
}

func TestLockerSteps(t *testing.T) {
	const ms = time.Millisecond
	tables := []struct {
		name  string
		opts  []mutex.Option
		steps []step
	}{
		{"try and release", nil, []step{
			{who: "a", op: try, ttl: time.Minute, fence: 1},
			{who: "b", op: try, ttl: time.Minute, want: mutex.ErrNotObtained},
			{who: "a", op: try, ttl: time.Minute, want: mutex.ErrNotObtained}, // not re-entrant
			{who: "a", op: release},
			{who: "b", op: try, ttl: time.Minute, fence: 2},
			{who: "a", op: release, want: mutex.ErrNotHeld}, // twice
			{who: "a", op: extend, ttl: time.Minute, want: mutex.ErrNotHeld},
			{who: "c", op: try, ttl: time.Minute, want: mutex.ErrNotObtained}, // a's late calls left b's lock alone
			{who: "b", op: release},
			{who: "b", op: release, want: mutex.ErrNotHeld},
		}},
		{"crashed holder frees after its TTL", nil, []step{
			{who: "a", op: try, ttl: 2 * time.Second, fence: 1}, // and never releases
			{at: 1999 * ms, who: "b", op: try, ttl: time.Minute, want: mutex.ErrNotObtained},
			{at: 2 * time.Second, who: "b", op: try, ttl: time.Minute, fence: 2},
			// a wakes up late: it can neither release nor extend b's lock.
			{at: 2 * time.Second, who: "a", op: release, want: mutex.ErrNotHeld},
			{at: 2 * time.Second, who: "a", op: extend, ttl: time.Minute, want: mutex.ErrNotHeld},
			{at: 2 * time.Second, who: "c", op: try, ttl: time.Minute, want: mutex.ErrNotObtained},
			{at: 2 * time.Second, who: "b", op: release},
			{at: 2 * time.Second, who: "c", op: try, ttl: time.Minute, fence: 3},
		}},
		{"acquire waits for the expiry", nil, []step{
			{who: "a", op: try, ttl: time.Second, fence: 1},
			{who: "b", op: acquire, ttl: time.Minute, fence: 2, took: time.Second, slack: mutex.DefaultMaxBackoff},
			{at: 1500 * ms, who: "a", op: release, want: mutex.ErrNotHeld},
		}},
		{"extend", nil, []step{
			{who: "a", op: try, ttl: time.Second, fence: 1},
			{at: 900 * ms, who: "a", op: extend, ttl: time.Second}, // now until 1.9 s
			{at: 1500 * ms, who: "b", op: try, ttl: time.Minute, want: mutex.ErrNotObtained},
			{at: 1899 * ms, who: "b", op: try, ttl: time.Minute, want: mutex.ErrNotObtained},
			{at: 1900 * ms, who: "b", op: try, ttl: time.Minute, fence: 2},
			{at: 1900 * ms, who: "a", op: extend, ttl: time.Minute, want: mutex.ErrNotHeld},
			{at: 1900 * ms, who: "b", op: extend, ttl: 10 * ms}, // shortens too
			{at: 1900 * ms, who: "b", op: extend, ttl: 0, want: mutex.ErrInvalidTTL},
			{at: 1900 * ms, who: "b", op: extend, ttl: 999 * time.Microsecond, want: mutex.ErrInvalidTTL},
			{at: 1909 * ms, who: "c", op: try, ttl: time.Minute, want: mutex.ErrNotObtained},
			{at: 1910 * ms, who: "c", op: try, ttl: time.Minute, fence: 3},
		}},
		{"max wait elapses", []mutex.Option{mutex.WithMaxWait(time.Second)}, []step{
			{who: "a", op: try, ttl: time.Hour, fence: 1},
			{who: "b", op: acquire, ttl: time.Minute, want: mutex.ErrNotObtained, took: time.Second},
			{at: time.Second, who: "a", op: release},
			{at: time.Second, who: "b", op: acquire, ttl: time.Minute, fence: 2},
		}},
		{"a failed wait hands out no fencing token", []mutex.Option{mutex.WithMaxWait(time.Second)}, []step{
			{who: "a", op: try, ttl: 3 * time.Second, fence: 1},
			{who: "b", op: acquire, ttl: time.Minute, want: mutex.ErrNotObtained, took: time.Second},
			{at: 1 * time.Second, who: "b", op: try, ttl: time.Minute, want: mutex.ErrNotObtained},
			{at: 3 * time.Second, who: "b", op: try, ttl: time.Minute, fence: 2},
		}},
	}
	for _, tt := range tables {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				run(t, newLocker(t, tt.opts...), tt.steps)
			})
		})
	}
}

// TestAcquireWaitsForRelease: Acquire obtains the lock soon after its
// holder releases it, long before the holder's TTL.
func TestAcquireWaitsForRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spy := newSpy(t)
		l := newLocker(t, mutex.WithStore(spy))
		a, err := l.TryAcquire(t.Context(), "job", time.Hour)
		require.NoError(t, err)
		go func() {
			time.Sleep(300 * time.Millisecond)
			require.NoError(t, a.Release(context.Background()))
		}()
		start := time.Now()
		b, err := l.Acquire(t.Context(), "job", time.Minute)
		require.NoError(t, err)
		took := time.Since(start)
		require.GreaterOrEqual(t, took, 300*time.Millisecond)
		require.LessOrEqual(t, took, 300*time.Millisecond+mutex.DefaultMaxBackoff, "obtained long after the release")
		require.Equal(t, int64(2), b.FencingToken())
		require.Greater(t, len(spy.obtainTimes()), 3, "Acquire retried")
		require.NoError(t, b.Release(t.Context()))
	})
}

// TestAcquireBackoff checks the pauses between attempts: bounded by min,
// 2·min, 4·min, … up to max, each drawn from the upper half of its bound,
// and the last one cut at the max wait, where one last attempt is made.
func TestAcquireBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const minPause, maxPause, maxWait = 10 * time.Millisecond, 200 * time.Millisecond, 3 * time.Second
		spy := newSpy(t)
		l := newLocker(t, mutex.WithStore(spy), mutex.WithBackoff(minPause, maxPause), mutex.WithMaxWait(maxWait))
		_, err := l.TryAcquire(t.Context(), "job", time.Hour)
		require.NoError(t, err)
		start := time.Now()
		_, err = l.Acquire(t.Context(), "job", time.Minute)
		require.ErrorIs(t, err, mutex.ErrNotObtained)
		require.Equal(t, maxWait, time.Since(start), "gave up exactly at the max wait")

		attempts := spy.obtainTimes()[1:] // [0] is the TryAcquire
		require.Zero(t, attempts[0].Sub(start), "the first attempt does not wait")
		require.Equal(t, maxWait, attempts[len(attempts)-1].Sub(start), "one last attempt at the max wait")
		bound, jittered := minPause, 0
		for i := 1; i < len(attempts); i++ {
			pause := attempts[i].Sub(attempts[i-1])
			last := i == len(attempts)-1
			if pause > bound || pause < bound/2 && !last {
				t.Errorf("pause %d = %v, want %v to %v", i, pause, bound/2, bound)
			}
			if pause != bound && !last {
				jittered++
			}
			bound = min(2*bound, maxPause)
		}
		// 10+20+40+80+160 ms, then pauses of 100 to 200 ms: 17 to 32 attempts.
		require.GreaterOrEqual(t, len(attempts), 17)
		require.LessOrEqual(t, len(attempts), 32)
		require.Positive(t, jittered, "no jitter: every pause was its bound")
	})
}

func TestAcquireContext(t *testing.T) {
	setup := func(t *testing.T) (*mutex.Locker, *spyStore) {
		spy := newSpy(t)
		l := newLocker(t, mutex.WithStore(spy))
		_, err := l.TryAcquire(t.Context(), "job", time.Hour)
		require.NoError(t, err)
		return l, spy
	}
	t.Run("deadline before the max wait", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, _ := setup(t)
			ctx, cancel := context.WithTimeout(t.Context(), 250*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := l.Acquire(ctx, "job", time.Minute)
			require.ErrorIs(t, err, mutex.ErrNotObtained)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.Equal(t, 250*time.Millisecond, time.Since(start))
		})
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, _ := setup(t)
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			_, err := l.Acquire(ctx, "job", time.Minute)
			require.ErrorIs(t, err, mutex.ErrNotObtained)
			require.ErrorIs(t, err, context.Canceled)
			require.Equal(t, 100*time.Millisecond, time.Since(start))
		})
	})
	t.Run("cancelled before", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, spy := setup(t)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := l.Acquire(ctx, "free", time.Minute)
			require.ErrorIs(t, err, mutex.ErrNotObtained)
			require.ErrorIs(t, err, context.Canceled)
			require.Len(t, spy.obtainTimes(), 1, "Acquire called the store with a cancelled context")
		})
	})
	// The context ends during an attempt (a Redis round trip that hangs):
	// still ErrNotObtained joined with the context's error, so that callers
	// can tell "busy" from "store failing" with errors.Is.
	t.Run("deadline during an attempt", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, spy := setup(t)
			spy.set(func(s *spyStore) { s.hang = true })
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := l.Acquire(ctx, "free", time.Minute)
			require.ErrorIs(t, err, mutex.ErrNotObtained)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.Equal(t, 100*time.Millisecond, time.Since(start))
		})
	})
}

// TestStoreFailure: a failing store is reported at once, by TryAcquire and
// by Acquire (no blind retries until the max wait), and is not
// ErrNotObtained (fail closed: the caller cannot mistake it for "busy" or
// for success).
func TestStoreFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spy := newSpy(t)
		l := newLocker(t, mutex.WithStore(spy))
		spy.set(func(s *spyStore) { s.failObtain = true })
		lock, err := l.TryAcquire(t.Context(), "job", time.Minute)
		require.ErrorIs(t, err, errDown)
		require.NotErrorIs(t, err, mutex.ErrNotObtained)
		require.Nil(t, lock)
		start := time.Now()
		lock, err = l.Acquire(t.Context(), "job", time.Minute)
		require.ErrorIs(t, err, errDown)
		require.NotErrorIs(t, err, mutex.ErrNotObtained)
		require.Nil(t, lock)
		require.Zero(t, time.Since(start))
		require.Len(t, spy.obtainTimes(), 2)
	})
}

// TestReleaseRetry: a Release that failed in the store (Redis briefly
// unreachable) can be retried; it must not answer ErrNotHeld while the
// lock is still held.
func TestReleaseRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		spy := newSpy(t)
		l := newLocker(t, mutex.WithStore(spy))
		a, err := l.TryAcquire(t.Context(), "job", time.Hour)
		require.NoError(t, err)
		spy.set(func(s *spyStore) { s.failRelease = 1 })
		err = a.Release(t.Context())
		require.ErrorIs(t, err, errDown)
		require.NotErrorIs(t, err, mutex.ErrNotHeld)
		_, err = l.TryAcquire(t.Context(), "job", time.Minute)
		require.ErrorIs(t, err, mutex.ErrNotObtained, "still held after a failed release")
		require.NoError(t, a.Extend(t.Context(), time.Hour), "still ours after a failed release")
		require.NoError(t, a.Release(t.Context()), "retry")
		require.ErrorIs(t, a.Release(t.Context()), mutex.ErrNotHeld)
		b, err := l.TryAcquire(t.Context(), "job", time.Minute)
		require.NoError(t, err)
		require.Equal(t, int64(2), b.FencingToken())
	})
}

func TestWatchdog(t *testing.T) {
	const ttl = 3 * time.Second // extended every second
	t.Run("keeps the lock past its TTL, stops on Release", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			spy := newSpy(t)
			l := newLocker(t, mutex.WithStore(spy))
			a, err := l.TryAcquire(t.Context(), "job", ttl)
			require.NoError(t, err)
			wctx, err := a.Watchdog(t.Context())
			require.NoError(t, err)
			again, err := a.Watchdog(t.Context())
			require.NoError(t, err)
			require.Equal(t, wctx, again, "a second Watchdog starts no second goroutine")

			time.Sleep(10*time.Second + 500*time.Millisecond)
			_, err = l.TryAcquire(t.Context(), "job", time.Minute)
			require.ErrorIs(t, err, mutex.ErrNotObtained, "expired despite the watchdog")
			require.NoError(t, wctx.Err())
			require.Len(t, spy.extendTimes(), 10, "one extension per third of the TTL")

			require.NoError(t, a.Release(t.Context()))
			require.ErrorIs(t, wctx.Err(), context.Canceled)
			require.ErrorIs(t, context.Cause(wctx), context.Canceled)
			time.Sleep(time.Minute)
			require.Len(t, spy.extendTimes(), 10, "the watchdog still extends after Release")
			_, err = a.Watchdog(t.Context())
			require.ErrorIs(t, err, mutex.ErrNotHeld)
			b, err := l.TryAcquire(t.Context(), "job", time.Minute)
			require.NoError(t, err)
			require.Equal(t, int64(2), b.FencingToken())
		})
	})
	t.Run("lost lock ends the context", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			spy := newSpy(t)
			l := newLocker(t, mutex.WithStore(spy))
			a, err := l.TryAcquire(t.Context(), "job", ttl)
			require.NoError(t, err)
			wctx, err := a.Watchdog(t.Context())
			require.NoError(t, err)
			start := time.Now()
			// At 1.5 s the lock is taken from a behind its back (an
			// operator freeing it, or the holder paused past its TTL), and
			// c takes it.
			time.Sleep(1500 * time.Millisecond)
			ok, err := spy.Store.Release(t.Context(), "job", spy.lastToken())
			require.NoError(t, err)
			require.True(t, ok)
			c, err := l.TryAcquire(t.Context(), "job", time.Minute)
			require.NoError(t, err)
			<-wctx.Done()
			require.Equal(t, 2*time.Second, time.Since(start), "noticed at the next extension")
			require.ErrorIs(t, context.Cause(wctx), mutex.ErrNotHeld)
			require.ErrorIs(t, a.Release(t.Context()), mutex.ErrNotHeld)
			_, err = l.TryAcquire(t.Context(), "job", time.Minute)
			require.ErrorIs(t, err, mutex.ErrNotObtained, "a's Release freed c's lock")
			require.NoError(t, c.Release(t.Context()))
		})
	})
	t.Run("failing extensions give up while a third of the TTL is left", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var logs syncBuffer
			spy := newSpy(t)
			l := newLocker(t, mutex.WithStore(spy), mutex.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
			a, err := l.TryAcquire(t.Context(), "job", ttl)
			require.NoError(t, err)
			spy.set(func(s *spyStore) { s.failExtend = true })
			start := time.Now()
			wctx, err := a.Watchdog(t.Context())
			require.NoError(t, err)
			<-wctx.Done()
			// Failed at 1 s (2 s left: retry) and at 2 s (1 s left: give up).
			require.Equal(t, 2*time.Second, time.Since(start))
			cause := context.Cause(wctx)
			require.ErrorIs(t, cause, mutex.ErrNotHeld)
			require.ErrorIs(t, cause, errDown)
			_, err = l.TryAcquire(t.Context(), "job", time.Minute)
			require.ErrorIs(t, err, mutex.ErrNotObtained, "the lock is still held until its TTL")
			time.Sleep(time.Second)
			_, err = l.TryAcquire(t.Context(), "job", time.Minute)
			require.NoError(t, err, "the lock did not expire at its TTL")
			require.ErrorIs(t, a.Release(t.Context()), mutex.ErrNotHeld)

			out := logs.String()
			require.Equal(t, 2, strings.Count(out, `"msg":"mutex watchdog: extend failed"`), out)
			require.NotContains(t, out, spy.tokens[0], "the secret token was logged")
			require.Contains(t, out, `"fencing_token":1`)
		})
	})
	t.Run("one failed extension is retried", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			spy := newSpy(t)
			l := newLocker(t, mutex.WithStore(spy))
			a, err := l.TryAcquire(t.Context(), "job", ttl)
			require.NoError(t, err)
			spy.set(func(s *spyStore) { s.failExtend = true })
			wctx, err := a.Watchdog(t.Context())
			require.NoError(t, err)
			time.Sleep(1500 * time.Millisecond)
			spy.set(func(s *spyStore) { s.failExtend = false })
			time.Sleep(time.Minute)
			require.NoError(t, wctx.Err())
			_, err = l.TryAcquire(t.Context(), "job", time.Minute)
			require.ErrorIs(t, err, mutex.ErrNotObtained)
			require.NoError(t, a.Release(t.Context()))
		})
	})
	t.Run("hung extension times out", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			spy := newSpy(t)
			l := newLocker(t, mutex.WithStore(spy))
			a, err := l.TryAcquire(t.Context(), "job", ttl)
			require.NoError(t, err)
			spy.set(func(s *spyStore) { s.hang = true })
			start := time.Now()
			wctx, err := a.Watchdog(t.Context())
			require.NoError(t, err)
			<-wctx.Done()
			// Sent at 1 s, timed out after a third of the TTL, at 2 s.
			require.Equal(t, 2*time.Second, time.Since(start))
			require.ErrorIs(t, context.Cause(wctx), mutex.ErrNotHeld)
			require.ErrorIs(t, context.Cause(wctx), context.DeadlineExceeded)
			spy.set(func(s *spyStore) { s.hang = false })
			require.NoError(t, a.Release(t.Context()), "released before its TTL")
		})
	})
	t.Run("Release does not wait for a hung extension", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			spy := newSpy(t)
			l := newLocker(t, mutex.WithStore(spy))
			a, err := l.TryAcquire(t.Context(), "job", ttl)
			require.NoError(t, err)
			wctx, err := a.Watchdog(t.Context())
			require.NoError(t, err)
			time.Sleep(500 * time.Millisecond)
			spy.set(func(s *spyStore) { s.hang = true }) // the extension at 1 s hangs
			time.Sleep(700 * time.Millisecond)
			spy.set(func(s *spyStore) { s.hang = false })
			start := time.Now()
			require.NoError(t, a.Release(t.Context()))
			require.Zero(t, time.Since(start), "Release waited for the extension in flight")
			require.ErrorIs(t, context.Cause(wctx), context.Canceled)
		})
	})
	t.Run("context ends: watchdog stops, lock expires", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			spy := newSpy(t)
			l := newLocker(t, mutex.WithStore(spy))
			a, err := l.TryAcquire(t.Context(), "job", ttl)
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(t.Context())
			wctx, err := a.Watchdog(ctx)
			require.NoError(t, err)
			time.Sleep(1500 * time.Millisecond) // extended at 1 s: held until 4 s
			cancel()
			require.ErrorIs(t, context.Cause(wctx), context.Canceled)
			time.Sleep(2499 * time.Millisecond)
			_, err = l.TryAcquire(t.Context(), "job", time.Minute)
			require.ErrorIs(t, err, mutex.ErrNotObtained)
			time.Sleep(time.Millisecond)
			_, err = l.TryAcquire(t.Context(), "job", time.Minute)
			require.NoError(t, err)
			require.Len(t, spy.extendTimes(), 1)
			require.ErrorIs(t, a.Release(t.Context()), mutex.ErrNotHeld)
		})
	})
}

func TestNewOptions(t *testing.T) {
	bad := map[string]mutex.Option{
		"nil store":            mutex.WithStore(nil),
		"zero max wait":        mutex.WithMaxWait(0),
		"negative max wait":    mutex.WithMaxWait(-time.Second),
		"zero min backoff":     mutex.WithBackoff(0, time.Second),
		"negative min backoff": mutex.WithBackoff(-time.Millisecond, time.Second),
		"max below min":        mutex.WithBackoff(time.Second, time.Millisecond),
	}
	for name, opt := range bad {
		t.Run(name, func(t *testing.T) {
			l, err := mutex.New(mutex.WithMaxWait(time.Second), opt)
			require.ErrorIs(t, err, mutex.ErrOption)
			require.Nil(t, l)
		})
	}
	l := newLocker(t, nil, mutex.WithLogger(nil), mutex.WithBackoff(time.Second, time.Second), mutex.WithMaxWait(time.Nanosecond))
	require.NotNil(t, l)
}

func TestValidation(t *testing.T) {
	l := newLocker(t)
	cases := []struct {
		name string
		lock string
		ttl  time.Duration
		want error
	}{
		{"empty name", "", time.Minute, mutex.ErrInvalidName},
		{"long name", strings.Repeat("n", mutex.MaxNameLength+1), time.Minute, mutex.ErrInvalidName},
		{"zero ttl", "job", 0, mutex.ErrInvalidTTL},
		{"negative ttl", "job", -time.Second, mutex.ErrInvalidTTL},
		{"sub-millisecond ttl", "job", 999 * time.Microsecond, mutex.ErrInvalidTTL},
		{"longest name", strings.Repeat("n", mutex.MaxNameLength), time.Minute, nil},
		{"shortest ttl", "short", time.Millisecond, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, fn := range []func(context.Context, string, time.Duration) (*mutex.Lock, error){l.TryAcquire, l.Acquire} {
				lock, err := fn(t.Context(), c.lock, c.ttl)
				if c.want != nil {
					require.ErrorIs(t, err, c.want)
					require.Nil(t, lock)
					continue
				}
				require.NoError(t, err)
				err = lock.Release(t.Context())
				if c.ttl < time.Second && errors.Is(err, mutex.ErrNotHeld) {
					continue // a 1 ms lock may expire before Release on a loaded machine
				}
				require.NoError(t, err)
			}
		})
	}
}

func TestLockAccessors(t *testing.T) {
	spy := newSpy(t)
	l := newLocker(t, mutex.WithStore(spy))
	for i := range 3 {
		lock, err := l.TryAcquire(t.Context(), "job", 42*time.Second)
		require.NoError(t, err)
		require.Equal(t, "job", lock.Name())
		require.Equal(t, 42*time.Second, lock.TTL())
		require.Equal(t, int64(i+1), lock.FencingToken())
		require.NoError(t, lock.Extend(t.Context(), time.Hour))
		require.Equal(t, 42*time.Second, lock.TTL(), "Extend changes the expiry, not the Lock's TTL")
		require.NoError(t, lock.Release(t.Context()))
	}
	tokens := map[string]bool{}
	for _, tok := range spy.tokens {
		require.Len(t, tok, 22, "128 bits, base64url")
		require.False(t, tokens[tok], "token reused")
		tokens[tok] = true
	}
}

// TestLockRedacts: the secret token never reaches fmt or slog.
func TestLockRedacts(t *testing.T) {
	spy := newSpy(t)
	l := newLocker(t, mutex.WithStore(spy))
	lock, err := l.TryAcquire(t.Context(), "job", time.Minute)
	require.NoError(t, err)
	token := spy.lastToken()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("held", "lock", lock)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("held", "lock", lock)
	for _, s := range []string{
		fmt.Sprint(lock), fmt.Sprintf("%v %+v %#v %s %q", lock, lock, lock, lock, lock),
		logs.String(),
	} {
		require.NotContains(t, s, token)
		require.Contains(t, s, "job")
	}
	require.Equal(t, `mutex.Lock{name: "job", fencing token: 1}`, lock.String())
	require.Contains(t, logs.String(), `"lock":{"name":"job","fencing_token":1}`)
}

// TestLockerConcurrent: goroutines increment a plain int under the lock;
// the race detector checks that the lock orders their accesses, and no
// increment is lost. Real time, short pauses.
func TestLockerConcurrent(t *testing.T) {
	const workers, holds = 8, 100
	l := newLocker(t, mutex.WithBackoff(50*time.Microsecond, time.Millisecond))
	counter, inside := 0, 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range holds {
				lock, err := l.Acquire(t.Context(), "counter", time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				inside++
				if inside != 1 {
					t.Errorf("%d holders at once", inside)
				}
				counter++
				inside--
				if err := lock.Release(t.Context()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, workers*holds, counter)
}

func TestLockerClose(t *testing.T) {
	l, err := mutex.New()
	require.NoError(t, err)
	lock, err := l.TryAcquire(t.Context(), "job", time.Minute)
	require.NoError(t, err)
	require.NoError(t, l.Close(t.Context()))
	require.NoError(t, l.Close(t.Context()), "Close twice")
	require.NoError(t, lock.Release(t.Context()), "a lock obtained before Close keeps working")

	spy := newSpy(t)
	l, err = mutex.New(mutex.WithStore(spy))
	require.NoError(t, err)
	require.NoError(t, l.Close(t.Context()))
	_, err = l.TryAcquire(t.Context(), "job", time.Minute)
	require.NoError(t, err, "a Locker with a given store works after Close")
}

// syncBuffer is a bytes.Buffer safe for concurrent use (the watchdog logs
// from its goroutine).
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
