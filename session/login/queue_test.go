package login_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session/login"
)

// countNotifier counts deliveries per token, optionally waiting at a gate
// and failing.
type countNotifier struct {
	mu    sync.Mutex
	seen  map[string]int
	gate  chan struct{} // nil: no wait
	fail  bool
	delay time.Duration
}

func (c *countNotifier) Notify(ctx context.Context, n login.Notice) error {
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if c.delay > 0 {
		time.Sleep(c.delay)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]int{}
	}
	c.seen[n.Token]++
	if c.fail {
		return errors.New("smtp: 451 try later")
	}
	return nil
}

func (c *countNotifier) count() (distinct, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.seen {
		distinct++
		total += n
	}
	return distinct, total
}

// TestNotifyQueueDeliversEverything: notices from many goroutines are each
// delivered exactly once, and Close returns only when all are.
func TestNotifyQueueDeliversEverything(t *testing.T) {
	next := &countNotifier{delay: 100 * time.Microsecond}
	q, err := login.NewNotifyQueue(next, login.WithQueueSize(16), login.WithQueueWorkers(3))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				require.NoError(t, q.Notify(t.Context(), login.Notice{Token: fmt.Sprintf("%d-%d", g, i)}))
			}
		})
	}
	wg.Wait()
	require.NoError(t, q.Close(t.Context()))
	distinct, total := next.count()
	require.Equal(t, 800, distinct)
	require.Equal(t, 800, total)
	require.ErrorIs(t, q.Notify(t.Context(), login.Notice{Token: "late"}), login.ErrQueueClosed)
	require.NoError(t, q.Close(t.Context()), "Close twice")
}

// TestNotifyQueueFull: when the queue is full, Notify waits for room
// until its context ends and then says so (nothing is dropped silently);
// Close bounded by a context reports an unfinished drain, and the queued
// notices are still delivered afterwards.
func TestNotifyQueueFull(t *testing.T) {
	next := &countNotifier{gate: make(chan struct{})}
	q, err := login.NewNotifyQueue(next, login.WithQueueSize(2), login.WithQueueWorkers(1))
	require.NoError(t, err)
	for i := range 3 { // one held by the worker at the gate, two queued
		require.NoError(t, q.Notify(t.Context(), login.Notice{Token: fmt.Sprint(i)}))
	}
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		err := q.Notify(ctx, login.Notice{Token: "overflow"})
		if err == nil {
			return false // the worker had not taken the first yet
		}
		require.ErrorIs(t, err, login.ErrQueueFull)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		return true
	}, 5*time.Second, 10*time.Millisecond)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, q.Close(ctx), context.DeadlineExceeded)
	close(next.gate)
	require.NoError(t, q.Close(t.Context()))
	distinct, _ := next.count()
	require.GreaterOrEqual(t, distinct, 3)
}

// TestNotifyQueueReportsFailures: a failed delivery reaches the error
// function with its notice.
func TestNotifyQueueReportsFailures(t *testing.T) {
	var failed atomic.Int32
	q, err := login.NewNotifyQueue(&countNotifier{fail: true}, login.WithDeliveryError(func(_ context.Context, n login.Notice, err error) {
		if n.Token == "t" && err != nil {
			failed.Add(1)
		}
	}))
	require.NoError(t, err)
	require.NoError(t, q.Notify(t.Context(), login.Notice{Token: "t"}))
	require.NoError(t, q.Close(t.Context()))
	require.Equal(t, int32(1), failed.Load())

	for _, opt := range []login.QueueOption{login.WithQueueSize(0), login.WithQueueWorkers(0), login.WithDeliveryTimeout(0), login.WithDeliveryError(nil)} {
		_, err := login.NewNotifyQueue(&countNotifier{}, opt)
		require.ErrorIs(t, err, login.ErrOption)
	}
	_, err = login.NewNotifyQueue(nil)
	require.ErrorIs(t, err, login.ErrOption)
}

func avg(x []float64) float64 {
	var s float64
	for _, y := range x {
		s += y
	}
	return s / float64(len(x))
}

// welchZ is Welch's statistic for the difference of the means of a and b.
func welchZ(a, b []float64) float64 {
	mean := func(x []float64) (m, v float64) {
		for _, y := range x {
			m += y
		}
		m /= float64(len(x))
		for _, y := range x {
			v += (y - m) * (y - m)
		}
		return m, v / float64(len(x)-1)
	}
	ma, va := mean(a)
	mb, vb := mean(b)
	return (ma - mb) / math.Sqrt(va/float64(len(a))+vb/float64(len(b)))
}

// TestResetTimingDoesNotRevealAccounts: a password-reset request for an
// existing account sends a notice, one for an unknown login does not. With
// the notify queue (the default) both take the same time; calling a
// Notifier that needs a millisecond directly (WithNotifyQueue(0), the only
// way before the queue) makes existing accounts measurably slower, which
// shows that the measurement can see the difference.
func TestResetTimingDoesNotRevealAccounts(t *testing.T) {
	const tries = 60
	measure := func(t *testing.T, opts ...any) (z, diff float64) {
		slow := &countNotifier{delay: time.Millisecond}
		e := newEnv(t, append([]any{login.WithNotifier(slow)}, opts...)...)
		for i := range tries {
			_, err := e.m.CreateAccount(t.Context(), login.NewAccount{Username: fmt.Sprintf("user%d", i), Identity: fmt.Sprintf("user%d@example.com", i)})
			require.NoError(t, err)
		}
		reset := func(name string) float64 {
			start := time.Now()
			require.NoError(t, e.m.RequestPasswordReset(t.Context(), name))
			return float64(time.Since(start).Nanoseconds()) / 1e3
		}
		var known, unknown []float64
		for i := range tries { // interleaved, alternating which goes first
			if i%2 == 0 {
				known = append(known, reset(fmt.Sprintf("user%d", i)))
				unknown = append(unknown, reset(fmt.Sprintf("nobody%d", i)))
			} else {
				unknown = append(unknown, reset(fmt.Sprintf("nobody%d", i)))
				known = append(known, reset(fmt.Sprintf("user%d", i)))
			}
		}
		require.NoError(t, e.m.logins.Close(t.Context()))
		distinct, _ := slow.count()
		require.Equal(t, tries, distinct, "every existing account got its link")
		t.Logf("mean %.1f µs existing, %.1f µs unknown", avg(known), avg(unknown))
		return welchZ(known, unknown), avg(known) - avg(unknown)
	}
	t.Run("direct notifier: the difference shows", func(t *testing.T) {
		z, diff := measure(t, login.WithNotifyQueue(0))
		t.Logf("existing vs unknown account, notifier called directly: z = %.1f over %d tries each", z, tries)
		require.Greater(t, diff, 500.0, "existing accounts wait for the 1 ms notifier")
	})
	t.Run("queued notifier: no significant difference", func(t *testing.T) {
		z, _ := measure(t, login.WithNotifyQueue(login.DefaultNotifyQueueSize)) // the default; newEnv turns it off
		t.Logf("existing vs unknown account, notifier queued: z = %.2f over %d tries each", z, tries)
		require.Less(t, math.Abs(z), 3.0)
	})
}
