package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// The stress test of issue 5: 2 processes × 50 goroutines × 1,000
// acquisitions of one lock, each incrementing a counter in Redis with a
// plain GET and SET (no atomic operation), must lose no increment and never
// have two holders at once.
const (
	stressGoroutines = 50
	stressHolds      = 1000

	// Environment of the child processes.
	stressChildEnv = "APICRUD_MUTEX_STRESS_PREFIX"
	stressHoldsEnv = "APICRUD_MUTEX_STRESS_HOLDS"
	stressNameEnv  = "APICRUD_MUTEX_STRESS_NAME"
	// stressFullEnv, set to anything, makes a -race run do the full count
	// of holds in children built without the race detector.
	stressFullEnv = "APICRUD_MUTEX_STRESS_FULL"
)

// stressStats counts what one process saw.
type stressStats struct {
	holds    atomic.Int64
	overlaps atomic.Int64 // entered while another holder's marker was set
	fences   atomic.Int64 // a fencing token not above the last one stored
	errors   atomic.Int64
}

// stress runs goroutines × holds acquisitions from this process. Each
// hold reads the counter and swaps itself in as the holder (one pipelined
// round trip: GET counter, SET holder me GET), checks that nobody was
// inside, writes counter+1 and swaps the holder back to "-" (one round
// trip: SET counter, SET holder - GET, which must return itself), then
// releases. The increment is a plain GET and SET in separate round trips:
// two holders at once would lose increments, and the holder swaps would
// see each other.
func stress(t *testing.T, rdb *redis.Client, prefix, who string, holds int) *stressStats {
	// Waiters poll with 2 to 32 ms pauses: about two attempts per hold
	// (measured), so the handoff, not the polling, sets the pace.
	locker, err := mutex.New(
		mutex.WithStore(testenv.Must(mutexredis.New(rdb, mutexredis.WithPrefix(prefix)))),
		mutex.WithMaxWait(2*time.Minute),
		mutex.WithBackoff(2*time.Millisecond, 32*time.Millisecond),
	)
	require.NoError(t, err)
	counterKey, holderKey, fenceKey := prefix+"counter", prefix+"holder", prefix+"lastfence"
	var st stressStats
	var wg sync.WaitGroup
	for g := range stressGoroutines {
		wg.Go(func() {
			ctx := context.Background()
			me := fmt.Sprintf("%s/%d", who, g)
			for range holds {
				lock, err := locker.Acquire(ctx, "counter", 30*time.Second)
				if err != nil {
					st.errors.Add(1)
					t.Errorf("%s: acquire: %v", me, err)
					return
				}
				var get *redis.StringCmd
				var fenceIn *redis.StringCmd
				var swapIn *redis.StatusCmd
				_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
					get = p.Get(ctx, counterKey)
					fenceIn = p.Get(ctx, fenceKey)
					swapIn = p.SetArgs(ctx, holderKey, me, redis.SetArgs{Get: true})
					return nil
				})
				if err != nil && err != redis.Nil {
					st.errors.Add(1)
					t.Errorf("%s: enter: %v", me, err)
					return
				}
				count, _ := get.Int64()
				lastFence, _ := fenceIn.Int64()
				if prev := swapIn.Val(); prev != "" && prev != "-" {
					st.overlaps.Add(1)
				}
				f := lock.FencingToken()
				if lastFence >= f {
					st.fences.Add(1)
				}
				var swapOut *redis.StatusCmd
				_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
					p.Set(ctx, counterKey, count+1, 0)
					p.Set(ctx, fenceKey, f, 0)
					swapOut = p.SetArgs(ctx, holderKey, "-", redis.SetArgs{Get: true})
					return nil
				})
				if err != nil {
					st.errors.Add(1)
					t.Errorf("%s: leave: %v", me, err)
					return
				}
				if swapOut.Val() != me {
					st.overlaps.Add(1)
				}
				if err := lock.Release(ctx); err != nil {
					st.errors.Add(1)
					t.Errorf("%s: release: %v", me, err)
					return
				}
				st.holds.Add(1)
			}
		})
	}
	wg.Wait()
	return &st
}

// TestStressChild is one of the processes of TestStressTwoProcesses; it
// does nothing unless started by it.
func TestStressChild(t *testing.T) {
	prefix := os.Getenv(stressChildEnv)
	if prefix == "" {
		t.Skip("runs only as a child process of TestStressTwoProcesses")
	}
	holds, err := strconv.Atoi(os.Getenv(stressHoldsEnv))
	require.NoError(t, err)
	rdb := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(), PoolSize: stressGoroutines})
	defer rdb.Close()
	st := stress(t, rdb, prefix, os.Getenv(stressNameEnv), holds)
	fmt.Printf("STRESS holds=%d overlaps=%d fences=%d errors=%d\n", st.holds.Load(), st.overlaps.Load(), st.fences.Load(), st.errors.Load())
}

// TestStressTwoProcesses runs the stress in two child processes of this
// test binary at once (the parent only starts them and checks the result
// in Redis). Under the race detector the children are a copy of this test
// binary built without it (go test -c, from the build cache), because
// instrumented code would make the 100,000 holds take minutes on two
// cores; what is tested is the lock, across processes, not this test's own
// memory accesses (the storetest suites run under -race). With -short, and
// under -race unless APICRUD_MUTEX_STRESS_FULL is set (make test runs with
// -race), the children are this binary and run 100 holds per goroutine:
// 10,000 holds, without a second build.
func TestStressTwoProcesses(t *testing.T) {
	if os.Getenv(stressChildEnv) != "" {
		t.Skip("in a child process")
	}
	rdb := testenv.Redis(t) // skips, or fails under CI=true, when Redis is down
	prefix := testenv.Prefix(t, rdb)
	holds := stressHolds
	bin := os.Args[0]
	switch {
	case testing.Short(), raceEnabled && os.Getenv(stressFullEnv) == "":
		holds = 100
	case raceEnabled:
		bin = buildWithoutRace(t)
	}

	start := time.Now()
	outs := make([]bytes.Buffer, 2)
	cmds := make([]*exec.Cmd, 2)
	for i := range cmds {
		cmd := exec.CommandContext(t.Context(), bin, "-test.run=^TestStressChild$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			stressChildEnv+"="+prefix,
			stressHoldsEnv+"="+strconv.Itoa(holds),
			fmt.Sprintf("%s=p%d", stressNameEnv, i+1))
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		require.NoError(t, cmd.Start())
		cmds[i] = cmd
	}
	var total stressResult
	for i, cmd := range cmds {
		err := cmd.Wait()
		require.NoError(t, err, "process %d:\n%s", i+1, outs[i].String())
		r, err := parseStress(outs[i].String())
		require.NoError(t, err, "process %d:\n%s", i+1, outs[i].String())
		t.Logf("process %d: %+v", i+1, r)
		total.holds += r.holds
		total.overlaps += r.overlaps
		total.fences += r.fences
		total.errors += r.errors
	}
	want := int64(2 * stressGoroutines * holds)
	t.Logf("%d holds of one lock by 2 processes × %d goroutines in %v", want, stressGoroutines, time.Since(start))

	count, err := rdb.Get(t.Context(), prefix+"counter").Int64()
	require.NoError(t, err)
	_, err = rdb.Get(t.Context(), prefix+"lastfence").Int64()
	require.NoError(t, err)
	holder, err := rdb.Get(t.Context(), prefix+"holder").Result()
	require.NoError(t, err)
	require.Zero(t, total.errors, "errors")
	require.Equal(t, want, total.holds, "holds")
	require.Equal(t, want, count, "lost increments")
	require.Zero(t, total.overlaps, "overlapping holders")
	require.Zero(t, total.fences, "fencing tokens not increasing")
	require.Equal(t, "-", holder)
}

type stressResult struct{ holds, overlaps, fences, errors int64 }

func parseStress(out string) (stressResult, error) {
	var r stressResult
	i := strings.Index(out, "STRESS ")
	if i < 0 {
		return r, fmt.Errorf("no STRESS line")
	}
	_, err := fmt.Sscanf(out[i:], "STRESS holds=%d overlaps=%d fences=%d errors=%d", &r.holds, &r.overlaps, &r.fences, &r.errors)
	return r, err
}

// buildWithoutRace builds this package's test binary without the race
// detector into a temporary directory.
func buildWithoutRace(t *testing.T) string {
	t.Helper()
	gotool, err := exec.LookPath("go") // go test puts GOROOT/bin first in PATH
	if err != nil {
		t.Skipf("skipping: no go command to build the stress processes without -race: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "stress.test")
	start := time.Now()
	out, err := exec.CommandContext(t.Context(), gotool, "test", "-c", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go test -c:\n%s", out)
	t.Logf("built the stress processes without -race in %v", time.Since(start))
	return bin
}
