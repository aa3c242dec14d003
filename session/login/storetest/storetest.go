package storetest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session/login"
)

// Run runs the conformance suite of login.Store. newStore must return a
// store with no data visible to any other call (for Redis: a unique key
// prefix). The suite uses real time with short deadlines (a few hundred
// milliseconds) and require.Eventually, so it runs against servers as
// well as in memory; its subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) login.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s login.Store)
	}{
		{"AttemptLadder", testAttemptLadder},
		{"ReserveLadder", testReserveLadder},
		{"ReserveSuccessesDoNotCount", testReserveSuccesses},
		{"ReserveBusy", testReserveBusy},
		{"ReserveLapses", testReserveLapses},
		{"SettleClearsAndCounts", testSettle},
		{"AdvanceStep", testAdvanceStep},
		{"Tokens", testTokens},
		{"ConcurrentAttempts", testConcurrentAttempts},
		{"ConcurrentReserve", testConcurrentReserve},
		{"ConcurrentSingleUse", testConcurrentSingleUse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func rnd(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func attempt(t *testing.T, s login.Store, key string, l login.Ladder) time.Duration {
	t.Helper()
	w, err := s.Attempt(t.Context(), key, l)
	require.NoError(t, err)
	return w
}

func testAttemptLadder(t *testing.T, s login.Store) {
	key := rnd("k:")
	l := login.Ladder{Free: 2, Delays: []time.Duration{300 * time.Millisecond, time.Hour}, Window: time.Hour}
	require.Zero(t, attempt(t, s, key, l), "attempt 1 is free")
	require.Zero(t, attempt(t, s, key, l), "attempt 2 is free")
	require.Zero(t, attempt(t, s, key, l), "attempt 3 is counted and sets the first wait")
	w := attempt(t, s, key, l)
	require.Positive(t, w, "attempt 4 must wait")
	require.LessOrEqual(t, w, 300*time.Millisecond)
	require.Eventually(t, func() bool {
		w, err := s.Attempt(t.Context(), key, l)
		return err == nil && w == 0
	}, 5*time.Second, 20*time.Millisecond)
	w = attempt(t, s, key, l)
	require.Greater(t, w, 59*time.Minute, "the last delay repeats")
	require.Zero(t, attempt(t, s, rnd("k:"), l), "keys are independent")
}

func reserve(t *testing.T, s login.Store, key string, l login.Ladder, hold time.Duration) (string, login.Admission) {
	t.Helper()
	id := rnd("r")
	a, err := s.Reserve(t.Context(), key, id, l, hold)
	require.NoError(t, err)
	if !a.Reserved {
		id = ""
	}
	return id, a
}

func settle(t *testing.T, s login.Store, key, id string, l login.Ladder, o login.Outcome) {
	t.Helper()
	require.NoError(t, s.Settle(t.Context(), key, id, l, o))
}

func fail(t *testing.T, s login.Store, key string, l login.Ladder) {
	t.Helper()
	id, a := reserve(t, s, key, l, time.Minute)
	require.True(t, a.Reserved, "reserve: %+v", a)
	settle(t, s, key, id, l, login.OutcomeFailed)
}

func testReserveLadder(t *testing.T, s login.Store) {
	key := rnd("k:")
	l := login.Ladder{Free: 2, Delays: []time.Duration{300 * time.Millisecond, time.Hour}, Window: time.Hour}
	fail(t, s, key, l)
	fail(t, s, key, l)
	fail(t, s, key, l) // the third failure sets the first wait
	_, a := reserve(t, s, key, l, time.Minute)
	require.False(t, a.Reserved)
	require.Positive(t, a.Wait, "after 3 failures the next attempt waits")
	require.LessOrEqual(t, a.Wait, 300*time.Millisecond)
	var id string
	require.Eventually(t, func() bool {
		id, a = reserve(t, s, key, l, time.Minute)
		return a.Reserved
	}, 5*time.Second, 20*time.Millisecond)
	settle(t, s, key, id, l, login.OutcomeFailed)
	_, a = reserve(t, s, key, l, time.Minute)
	require.Greater(t, a.Wait, 59*time.Minute, "the last delay repeats")
	_, a = reserve(t, s, rnd("k:"), l, time.Minute)
	require.True(t, a.Reserved, "keys are independent")
}

func testReserveSuccesses(t *testing.T, s login.Store) {
	key := rnd("k:")
	l := login.Ladder{Free: 1, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	for i := range 10 {
		id, a := reserve(t, s, key, l, time.Minute)
		require.True(t, a.Reserved, "success %d", i)
		settle(t, s, key, id, l, login.OutcomePassed)
	}
	fail(t, s, key, l)
	fail(t, s, key, l)
	_, a := reserve(t, s, key, l, time.Minute)
	require.Positive(t, a.Wait, "two failures lock, however many successes came first")
	id, _ := reserve(t, s, key, l, time.Minute)
	require.Empty(t, id)
}

func testReserveBusy(t *testing.T, s login.Store) {
	key := rnd("k:")
	l := login.Ladder{Free: 1, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	a1, _ := reserve(t, s, key, l, time.Minute)
	a2, _ := reserve(t, s, key, l, time.Minute)
	require.NotEmpty(t, a1)
	require.NotEmpty(t, a2, "the second attempt is within the free budget even if the first fails")
	id, a := reserve(t, s, key, l, time.Minute)
	require.Empty(t, id)
	require.Equal(t, login.Admission{}, a, "busy: neither reserved nor waiting")
	settle(t, s, key, a1, l, login.OutcomePassed)
	a3, _ := reserve(t, s, key, l, time.Minute)
	require.NotEmpty(t, a3, "a settled success makes room")
	settle(t, s, key, a2, l, login.OutcomeFailed)
	settle(t, s, key, a3, l, login.OutcomeFailed)
	_, a = reserve(t, s, key, l, time.Minute)
	require.Greater(t, a.Wait, 59*time.Minute, "both in-flight failures counted")
}

func testReserveLapses(t *testing.T, s login.Store) {
	key := rnd("k:")
	l := login.Ladder{Free: 0, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	lost, _ := reserve(t, s, key, l, 2*time.Second)
	require.NotEmpty(t, lost)
	id, _ := reserve(t, s, key, l, time.Minute)
	require.Empty(t, id, "busy while the first attempt is in flight")
	require.Eventually(t, func() bool {
		id, _ = reserve(t, s, key, l, time.Minute)
		return id != ""
	}, 10*time.Second, 20*time.Millisecond, "a reservation never settled lapses")
}

func testSettle(t *testing.T, s login.Store) {
	key := rnd("k:")
	l := login.Ladder{Free: 0, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	for _, o := range []login.Outcome{login.OutcomePassed, login.OutcomeCleared} {
		settle(t, s, rnd("k:"), "nothing", l, o) // unknown keys: no-op
	}
	settle(t, s, key, "lapsed", l, login.OutcomeFailed)
	_, a := reserve(t, s, key, l, time.Minute)
	require.Greater(t, a.Wait, 59*time.Minute, "a failure counts even when its reservation lapsed")
	settle(t, s, key, "other", l, login.OutcomeCleared)
	id, _ := reserve(t, s, key, l, time.Minute)
	require.NotEmpty(t, id, "cleared: the failures and the wait are forgotten")
}

func testConcurrentReserve(t *testing.T, s login.Store) {
	l := login.Ladder{Free: 5, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	key := rnd("k:")
	var reserved, busy atomic.Int64
	var wg sync.WaitGroup
	for range 24 {
		wg.Go(func() {
			a, err := s.Reserve(t.Context(), key, rnd("r"), l, time.Minute)
			switch {
			case err != nil:
				t.Errorf("reserve: %v", err)
			case a.Reserved:
				reserved.Add(1)
			case a.Wait == 0:
				busy.Add(1)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(6), reserved.Load(), "5 free attempts and the one whose failure would set the wait")
	require.Equal(t, int64(18), busy.Load())
}

func testAdvanceStep(t *testing.T, s login.Store) {
	key, other := rnd("totp:"), rnd("totp:")
	for _, step := range []struct {
		key  string
		step int64
		want bool
	}{
		{key, 56_000_000, true},
		{key, 56_000_000, false}, // replay
		{key, 55_999_999, false}, // older
		{key, 56_000_001, true},
		{other, 56_000_000, true},
	} {
		got, err := s.AdvanceStep(t.Context(), step.key, step.step, time.Minute)
		require.NoError(t, err)
		require.Equal(t, step.want, got, "AdvanceStep(%d)", step.step)
	}
}

func testTokens(t *testing.T, s login.Store) {
	key := rnd("link:")
	d1, d2 := []byte("digest-1"), []byte("digest-2")
	require.NoError(t, s.PutToken(t.Context(), key, d1, time.Hour))
	for _, step := range []struct {
		digest []byte
		want   bool
	}{{d2, false}, {d1, true}, {d1, false}} {
		got, err := s.TakeToken(t.Context(), key, step.digest)
		require.NoError(t, err)
		require.Equal(t, step.want, got)
	}
	require.NoError(t, s.PutToken(t.Context(), key, d1, time.Hour))
	require.NoError(t, s.PutToken(t.Context(), key, d2, time.Hour))
	got, err := s.TakeToken(t.Context(), key, d1)
	require.NoError(t, err)
	require.False(t, got, "a newer token voids the older one")
	got, err = s.TakeToken(t.Context(), key, d2)
	require.NoError(t, err)
	require.True(t, got)
	got, err = s.TakeToken(t.Context(), rnd("link:"), d1)
	require.NoError(t, err)
	require.False(t, got)
}

func testConcurrentAttempts(t *testing.T, s login.Store) {
	l := login.Ladder{Free: 5, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	key := rnd("k:")
	var passed atomic.Int64
	var wg sync.WaitGroup
	for range 24 {
		wg.Go(func() {
			w, err := s.Attempt(t.Context(), key, l)
			if err != nil {
				t.Errorf("attempt: %v", err)
				return
			}
			if w == 0 {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(6), passed.Load(), "5 free attempts and the one that sets the wait")
}

func testConcurrentSingleUse(t *testing.T, s login.Store) {
	tokenKey, stepKey := rnd("link:"), rnd("totp:")
	digest := bytes.Repeat([]byte{7}, 32)
	require.NoError(t, s.PutToken(t.Context(), tokenKey, digest, time.Hour))
	var taken, advanced atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if ok, err := s.TakeToken(t.Context(), tokenKey, digest); err == nil && ok {
				taken.Add(1)
			}
			if ok, err := s.AdvanceStep(t.Context(), stepKey, 42, time.Minute); err == nil && ok {
				advanced.Add(1)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(1), taken.Load(), "a token must be taken once")
	require.Equal(t, int64(1), advanced.Load(), "a TOTP step must be accepted once")
}
