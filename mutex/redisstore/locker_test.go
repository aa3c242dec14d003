package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/mutex"
	mutexredis "github.com/apicrud-go/apicrud/mutex/redisstore"
)

// The Locker on Redis, with real time: short TTLs, require.Eventually and
// require.Never, no fixed sleeps. The exact timings of Acquire and the
// watchdog are tested with fake time in package mutex.

var errDown = errors.New("dial tcp: connection refused")

// flaky is a redis.Scripter that fails every script while down is set, as
// a Redis that went away, and counts the scripts run.
type flaky struct {
	redis.Scripter
	down atomic.Bool
	runs atomic.Int64
}

func (f *flaky) fail(ctx context.Context) *redis.Cmd {
	cmd := redis.NewCmd(ctx)
	cmd.SetErr(errDown)
	return cmd
}

func (f *flaky) EvalSha(ctx context.Context, sha string, keys []string, args ...any) *redis.Cmd {
	f.runs.Add(1)
	if f.down.Load() {
		return f.fail(ctx)
	}
	return f.Scripter.EvalSha(ctx, sha, keys, args...)
}

func (f *flaky) Eval(ctx context.Context, src string, keys []string, args ...any) *redis.Cmd {
	if f.down.Load() {
		return f.fail(ctx)
	}
	return f.Scripter.Eval(ctx, src, keys, args...)
}

// instance is one "process": its own client, store and Locker, on the
// shared prefix.
func instance(t *testing.T, prefix string, opts ...mutex.Option) (*mutex.Locker, *flaky) {
	t.Helper()
	f := &flaky{Scripter: testenv.Redis(t)}
	l, err := mutex.New(append([]mutex.Option{mutex.WithStore(testenv.Must(mutexredis.New(f, mutexredis.WithPrefix(prefix))))}, opts...)...)
	require.NoError(t, err)
	return l, f
}

// TestLockerTwoInstances: Acquire on one instance waits while another
// holds the lock and obtains it soon after the release.
func TestLockerTwoInstances(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	la, _ := instance(t, prefix)
	lb, fb := instance(t, prefix, mutex.WithMaxWait(30*time.Second))

	a, err := la.TryAcquire(t.Context(), "job", time.Minute)
	require.NoError(t, err)
	require.Positive(t, a.FencingToken())
	_, err = lb.TryAcquire(t.Context(), "job", time.Minute)
	require.ErrorIs(t, err, mutex.ErrNotObtained)

	type result struct {
		lock *mutex.Lock
		err  error
		at   time.Time
	}
	got := make(chan result, 1)
	before := fb.runs.Load()
	go func() {
		lock, err := lb.Acquire(context.Background(), "job", time.Minute)
		got <- result{lock, err, time.Now()}
	}()
	require.Eventually(t, func() bool { return fb.runs.Load() >= before+3 }, 10*time.Second, 5*time.Millisecond, "b is not retrying")
	select {
	case r := <-got:
		t.Fatalf("b obtained a held lock: %v %v", r.lock, r.err)
	default:
	}
	released := time.Now()
	require.NoError(t, a.Release(t.Context()))
	var r result
	require.Eventually(t, func() bool {
		select {
		case r = <-got:
			return true
		default:
			return false
		}
	}, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, r.err)
	require.Greater(t, r.lock.FencingToken(), a.FencingToken())
	require.Less(t, r.at.Sub(released), mutex.DefaultMaxBackoff+time.Second, "obtained long after the release")
	require.NoError(t, r.lock.Release(t.Context()))
}

func TestLockerMaxWaitAndContext(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	la, _ := instance(t, prefix)
	lb, _ := instance(t, prefix, mutex.WithMaxWait(300*time.Millisecond))
	_, err := la.TryAcquire(t.Context(), "job", time.Minute)
	require.NoError(t, err)

	start := time.Now()
	_, err = lb.Acquire(t.Context(), "job", time.Minute)
	require.ErrorIs(t, err, mutex.ErrNotObtained)
	require.NotErrorIs(t, err, context.DeadlineExceeded)
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = la.Acquire(ctx, "job", time.Minute)
	require.ErrorIs(t, err, mutex.ErrNotObtained)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
}

// TestLockerLateRelease: a holder whose TTL ran out while another took
// the lock can neither release nor extend the new holder's lock.
func TestLockerLateRelease(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	la, _ := instance(t, prefix)
	lb, _ := instance(t, prefix)
	a, err := la.TryAcquire(t.Context(), "job", 100*time.Millisecond)
	require.NoError(t, err)
	var b *mutex.Lock
	require.Eventually(t, func() bool {
		b, err = lb.TryAcquire(context.Background(), "job", time.Minute)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	require.Greater(t, b.FencingToken(), a.FencingToken())
	require.ErrorIs(t, a.Extend(t.Context(), time.Minute), mutex.ErrNotHeld)
	require.ErrorIs(t, a.Release(t.Context()), mutex.ErrNotHeld)
	_, err = la.TryAcquire(t.Context(), "job", time.Minute)
	require.ErrorIs(t, err, mutex.ErrNotObtained, "a's late Release freed b's lock")
	require.NoError(t, b.Release(t.Context()))
}

// TestCrashedHolder: a process takes the lock and dies without releasing
// it; the lock is free once its TTL has passed, and not before.
func TestCrashedHolder(t *testing.T) {
	if os.Getenv(crashPrefixEnv) != "" {
		t.Skip("in a child process")
	}
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	const ttl = 2 * time.Second
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashedHolderChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashPrefixEnv+"="+prefix, crashTTLEnv+"="+ttl.String())
	out, err := cmd.CombinedOutput()
	exited := time.Now()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "child:\n%s", out)
	require.Equal(t, 3, exit.ExitCode(), "child:\n%s", out)
	var fence int64
	_, err = fmt.Sscanf(string(out[strings.Index(string(out), "HELD "):]), "HELD fence=%d", &fence)
	require.NoError(t, err, "child:\n%s", out)

	left, err := rdb.PTTL(t.Context(), prefix+"{job}:lock").Result()
	require.NoError(t, err)
	require.Positive(t, left, "the dead holder's lock is already gone")
	l, _ := instance(t, prefix, mutex.WithMaxWait(ttl+10*time.Second))
	_, err = l.TryAcquire(t.Context(), "job", time.Minute)
	require.ErrorIs(t, err, mutex.ErrNotObtained, "held by the dead process until its TTL")
	lock, err := l.Acquire(t.Context(), "job", time.Minute)
	require.NoError(t, err)
	require.Greater(t, lock.FencingToken(), fence)
	require.Less(t, time.Since(exited), ttl+time.Second, "freed long after the TTL")
	require.NoError(t, lock.Release(t.Context()))
}

const (
	crashPrefixEnv = "APICRUD_MUTEX_CRASH_PREFIX"
	crashTTLEnv    = "APICRUD_MUTEX_CRASH_TTL"
)

// TestCrashedHolderChild is the process of TestCrashedHolder that takes
// the lock and exits without releasing it; it does nothing unless started
// by it.
func TestCrashedHolderChild(t *testing.T) {
	prefix := os.Getenv(crashPrefixEnv)
	if prefix == "" {
		t.Skip("runs only as a child process of TestCrashedHolder")
	}
	ttl, err := time.ParseDuration(os.Getenv(crashTTLEnv))
	require.NoError(t, err)
	rdb := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr()})
	l, err := mutex.New(mutex.WithStore(testenv.Must(mutexredis.New(rdb, mutexredis.WithPrefix(prefix)))))
	require.NoError(t, err)
	lock, err := l.TryAcquire(t.Context(), "job", ttl)
	require.NoError(t, err)
	_, err = lock.Watchdog(t.Context()) // dies with the process
	require.NoError(t, err)
	fmt.Printf("HELD fence=%d\n", lock.FencingToken())
	os.Exit(3) // a crash: no Release, no cleanup
}

// TestWatchdogRedis: the watchdog keeps a lock held for four times its
// TTL, and Release stops it and frees the lock.
//
// The watchdog runs on real time: on a loaded machine (load average 6 and
// more) a process can wait for a CPU longer than any watchdog can absorb,
// and the lock then expires however correct the watchdog is. So the TTL is
// 1 s (extended every 333 ms), a probe goroutine records the longest time
// the process went without being scheduled, and an attempt that failed
// while the process was starved for a third of the TTL or more (when no
// watchdog could be expected to keep up) is retried, up to three times. A
// failure without such a stall fails the test: what is proved is unchanged.
func TestWatchdogRedis(t *testing.T) {
	rdb := testenv.Redis(t)
	const ttl = time.Second
	for attempt := 1; ; attempt++ {
		stall, err := watchdogHolds(t, rdb, ttl)
		if err == nil {
			return
		}
		if stall < ttl/3 || attempt == 3 {
			t.Fatalf("attempt %d (longest scheduling stall %v): %v", attempt, stall.Round(time.Millisecond), err)
		}
		t.Logf("attempt %d failed during a %v scheduling stall (a starved process), retrying: %v", attempt, stall.Round(time.Millisecond), err)
	}
}

// watchdogHolds runs one attempt of TestWatchdogRedis on its own prefix. It
// returns the longest scheduling stall seen and what went wrong, if
// anything.
func watchdogHolds(t *testing.T, rdb *redis.Client, ttl time.Duration) (time.Duration, error) {
	prefix := testenv.Prefix(t, rdb)
	la, _ := instance(t, prefix)
	lb, _ := instance(t, prefix)
	stall, stopProbe := stallProbe()
	a, err := la.TryAcquire(t.Context(), "job", ttl)
	require.NoError(t, err)
	wctx, err := a.Watchdog(t.Context())
	require.NoError(t, err)
	defer func() { _ = a.Release(context.Background()) }()
	start := time.Now()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Since(start) < 4*ttl {
		if _, err := lb.TryAcquire(t.Context(), "job", time.Minute); !errors.Is(err, mutex.ErrNotObtained) {
			stopProbe()
			return stall(), fmt.Errorf("%v after Watchdog: the other instance's TryAcquire = %v, want ErrNotObtained (expired despite the watchdog?)",
				time.Since(start).Round(time.Millisecond), err)
		}
		<-tick.C
	}
	stopProbe()
	if err := context.Cause(wctx); err != nil {
		return stall(), fmt.Errorf("the watchdog gave up: %w", err)
	}
	left, err := rdb.PTTL(t.Context(), prefix+"{job}:lock").Result()
	require.NoError(t, err)
	require.LessOrEqual(t, left, ttl, "extended by more than the TTL")
	require.Positive(t, left)

	require.NoError(t, a.Release(t.Context()))
	require.ErrorIs(t, context.Cause(wctx), context.Canceled)
	b, err := lb.TryAcquire(t.Context(), "job", time.Minute)
	require.NoError(t, err, "released lock still held")
	require.Greater(t, b.FencingToken(), a.FencingToken())
	require.NoError(t, b.Release(t.Context()))
	return stall(), nil
}

// stallProbe starts a goroutine that wakes every 5 ms and records the
// longest gap between two wake-ups: how long the process went without CPU.
func stallProbe() (longest func() time.Duration, stop func()) {
	var max atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				if gap := int64(time.Since(last)); gap > max.Load() {
					max.Store(gap)
				}
				last = now
			}
		}
	}()
	var once sync.Once
	return func() time.Duration { return time.Duration(max.Load()) },
		func() { once.Do(func() { close(done); <-finished }) }
}

// TestRedisDown: with Redis unreachable every call fails with the store's
// error (fail closed: never ErrNotObtained, never a lock), the watchdog
// tells its holder to stop while the lock is still in Redis, and a
// Release that failed can be retried once Redis is back.
func TestRedisDown(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	l, f := instance(t, prefix)
	const ttl = 3 * time.Second // extended every second
	a, err := l.TryAcquire(t.Context(), "job", ttl)
	require.NoError(t, err)
	wctx, err := a.Watchdog(t.Context())
	require.NoError(t, err)

	f.down.Store(true)
	for _, fn := range []func(context.Context, string, time.Duration) (*mutex.Lock, error){l.TryAcquire, l.Acquire} {
		lock, err := fn(t.Context(), "other", time.Minute)
		require.ErrorIs(t, err, errDown)
		require.NotErrorIs(t, err, mutex.ErrNotObtained)
		require.Nil(t, lock)
	}
	require.ErrorIs(t, a.Extend(t.Context(), ttl), errDown)

	// The watchdog fails at 1 s and 2 s, then gives up: a third of the TTL
	// may be left, and the lock must still be in Redis.
	require.Eventually(t, func() bool { return wctx.Err() != nil }, 10*time.Second, 5*time.Millisecond)
	left, err := rdb.PTTL(t.Context(), prefix+"{job}:lock").Result()
	require.NoError(t, err)
	require.Positive(t, left, "the watchdog gave up only after the lock expired")
	require.ErrorIs(t, context.Cause(wctx), mutex.ErrNotHeld)
	require.ErrorIs(t, context.Cause(wctx), errDown)

	require.ErrorIs(t, a.Release(t.Context()), errDown)
	f.down.Store(false)
	require.NoError(t, a.Release(t.Context()), "retry of a failed Release (a third of the TTL was left)")
	lock, err := l.TryAcquire(t.Context(), "job", time.Minute)
	require.NoError(t, err, "the retried Release did not free the lock")
	require.Greater(t, lock.FencingToken(), a.FencingToken())
	require.NoError(t, lock.Release(t.Context()))
}

// TestKeySchema pins the documented keys: <prefix>{<name>}:lock holds the
// holder's token with the lock's TTL, <prefix>{<name>}:fence the fencing
// counter, with the retention as TTL; Release deletes only the first.
func TestKeySchema(t *testing.T) {
	rdb := testenv.Redis(t)
	prefix := testenv.Prefix(t, rdb)
	l, _ := instance(t, prefix)
	lock, err := l.TryAcquire(t.Context(), "a:b{c}", 10*time.Second)
	require.NoError(t, err)
	keys, err := testenv.Keys(t.Context(), rdb, prefix)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{prefix + "{a:b{c}}:lock", prefix + "{a:b{c}}:fence"}, keys)
	tok, err := rdb.Get(t.Context(), prefix+"{a:b{c}}:lock").Result()
	require.NoError(t, err)
	require.Len(t, tok, 22)
	require.NotContains(t, lock.String(), tok)
	left, err := rdb.PTTL(t.Context(), prefix+"{a:b{c}}:lock").Result()
	require.NoError(t, err)
	require.Greater(t, left, 9*time.Second)
	require.LessOrEqual(t, left, 10*time.Second)
	fence, err := rdb.Get(t.Context(), prefix+"{a:b{c}}:fence").Int64()
	require.NoError(t, err)
	require.Equal(t, lock.FencingToken(), fence)
	keep := rdb.PTTL(t.Context(), prefix+"{a:b{c}}:fence").Val()
	require.Greater(t, keep, mutexredis.DefaultFenceRetention-time.Minute, "the fencing counter is kept for the retention")
	require.LessOrEqual(t, keep, mutexredis.DefaultFenceRetention+time.Second)

	require.NoError(t, lock.Release(t.Context()))
	keys, err = testenv.Keys(t.Context(), rdb, prefix)
	require.NoError(t, err)
	require.Equal(t, []string{prefix + "{a:b{c}}:fence"}, keys)
}
