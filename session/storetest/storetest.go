package storetest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

// Run runs the conformance suite. newStore must return a store with no
// data visible to any other call (for Redis: a unique key prefix). The
// suite uses real time with short deadlines (a few hundred milliseconds)
// and require.Eventually, so it runs against servers as well as in memory;
// its subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) session.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s session.Store)
	}{
		{"CreateGet", testCreateGet},
		{"GetMissing", testGetMissing},
		{"UsersAreSeparate", testUsersAreSeparate},
		{"BinaryData", testBinaryData},
		{"CreateReplacesSameID", testCreateReplaces},
		{"Replace", testReplace},
		{"Delete", testDelete},
		{"DeleteAll", testDeleteAll},
		{"List", testList},
		{"IdleExpiry", testIdleExpiry},
		{"IdleRefreshOnlyWhenDue", testIdleRefresh},
		{"RefreshEveryCall", testRefreshEveryCall},
		{"AbsoluteDeadlineCapsRefresh", testAbsoluteCap},
		{"AttemptLadder", testAttemptLadder},
		{"ReserveLadder", testReserveLadder},
		{"ReserveSuccessesDoNotCount", testReserveSuccesses},
		{"ReserveBusy", testReserveBusy},
		{"ReserveLapses", testReserveLapses},
		{"SettleClearsAndCounts", testSettle},
		{"AdvanceStep", testAdvanceStep},
		{"Tokens", testTokens},
		{"ConcurrentReplace", testConcurrentReplace},
		{"ConcurrentAttempts", testConcurrentAttempts},
		{"ConcurrentReserve", testConcurrentReserve},
		{"ConcurrentSingleUse", testConcurrentSingleUse},
		{"OddUserIDs", testOddUserIDs},
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

func get(t *testing.T, s session.Store, uid, id string) (session.Entry, bool) {
	t.Helper()
	e, ok, err := s.Get(t.Context(), uid, id, 0, 0)
	require.NoError(t, err)
	return e, ok
}

// gone reports whether session id of uid is absent (safe inside Eventually).
func gone(t *testing.T, s session.Store, uid, id string) bool {
	_, found, err := s.Get(t.Context(), uid, id, 0, 0)
	return err == nil && !found
}

func testCreateGet(t *testing.T, s session.Store) {
	uid, id := rnd("u-"), rnd("id")
	before := time.Now()
	require.NoError(t, s.Create(t.Context(), uid, id, []byte("sealed"), time.Minute, time.Hour))
	e, ok, err := s.Get(t.Context(), uid, id, time.Minute, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, id, e.ID)
	require.Equal(t, []byte("sealed"), e.Data)
	require.False(t, e.Refreshed, "a Get right after Create must not refresh")
	require.WithinDuration(t, before.Add(time.Hour), e.Expires, 2*time.Second)
}

func testGetMissing(t *testing.T, s session.Store) {
	_, ok, err := s.Get(t.Context(), rnd("u-"), rnd("id"), time.Minute, 0)
	require.NoError(t, err)
	require.False(t, ok)
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "a", []byte("x"), 0, time.Hour))
	_, ok = get(t, s, uid, "b")
	require.False(t, ok)
}

func testUsersAreSeparate(t *testing.T, s session.Store) {
	u1, u2 := rnd("u-"), rnd("u-")
	require.NoError(t, s.Create(t.Context(), u1, "same", []byte("one"), 0, time.Hour))
	require.NoError(t, s.Create(t.Context(), u2, "same", []byte("two"), 0, time.Hour))
	e, ok := get(t, s, u1, "same")
	require.True(t, ok)
	require.Equal(t, []byte("one"), e.Data)
	n, err := s.DeleteAll(t.Context(), u2)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, ok = get(t, s, u1, "same")
	require.True(t, ok, "DeleteAll of one user removed another user's session")
}

func testBinaryData(t *testing.T, s session.Store) {
	data := make([]byte, 512)
	for i := range data {
		data[i] = byte(i)
	}
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "bin", data, 0, time.Hour))
	e, ok := get(t, s, uid, "bin")
	require.True(t, ok)
	require.Equal(t, data, e.Data)
	ok, err := s.Replace(t.Context(), uid, "bin", data, append(slices.Clone(data), 0))
	require.NoError(t, err)
	require.True(t, ok)
}

func testCreateReplaces(t *testing.T, s session.Store) {
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "x", []byte("old"), 0, time.Hour))
	require.NoError(t, s.Create(t.Context(), uid, "x", []byte("new"), 0, time.Hour))
	e, ok := get(t, s, uid, "x")
	require.True(t, ok)
	require.Equal(t, []byte("new"), e.Data)
	list, err := s.List(t.Context(), uid)
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func testReplace(t *testing.T, s session.Store) {
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "r", []byte("v1"), time.Minute, time.Hour))
	ok, err := s.Replace(t.Context(), uid, "r", []byte("wrong"), []byte("v2"))
	require.NoError(t, err)
	require.False(t, ok, "Replace with a stale old value must fail")
	ok, err = s.Replace(t.Context(), uid, "r", []byte("v1"), []byte("v2"))
	require.NoError(t, err)
	require.True(t, ok)
	e, _ := get(t, s, uid, "r")
	require.Equal(t, []byte("v2"), e.Data)
	require.WithinDuration(t, time.Now().Add(time.Hour), e.Expires, 2*time.Second, "Replace must keep the absolute deadline")
	ok, err = s.Replace(t.Context(), uid, "missing", []byte("v1"), []byte("v2"))
	require.NoError(t, err)
	require.False(t, ok)
	_, found := get(t, s, uid, "missing")
	require.False(t, found, "Replace must not create a session")
}

func testDelete(t *testing.T, s session.Store) {
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "d", []byte("x"), 0, time.Hour))
	ok, err := s.Delete(t.Context(), uid, "d")
	require.NoError(t, err)
	require.True(t, ok)
	_, found := get(t, s, uid, "d")
	require.False(t, found)
	ok, err = s.Delete(t.Context(), uid, "d")
	require.NoError(t, err)
	require.False(t, ok)
	list, err := s.List(t.Context(), uid)
	require.NoError(t, err)
	require.Empty(t, list)
}

func testDeleteAll(t *testing.T, s session.Store) {
	uid, other := rnd("u-"), rnd("u-")
	for i := range 3 {
		require.NoError(t, s.Create(t.Context(), uid, fmt.Sprint("s", i), []byte("x"), time.Minute, time.Hour))
	}
	require.NoError(t, s.Create(t.Context(), other, "s0", []byte("y"), time.Minute, time.Hour))
	n, err := s.DeleteAll(t.Context(), uid)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	for i := range 3 {
		_, found := get(t, s, uid, fmt.Sprint("s", i))
		require.False(t, found)
	}
	_, found := get(t, s, other, "s0")
	require.True(t, found)
	n, err = s.DeleteAll(t.Context(), uid)
	require.NoError(t, err)
	require.Equal(t, 0, n)
	// A user can log in again after logging out everywhere.
	require.NoError(t, s.Create(t.Context(), uid, "again", []byte("z"), time.Minute, time.Hour))
	_, found = get(t, s, uid, "again")
	require.True(t, found)
}

func testList(t *testing.T, s session.Store) {
	uid := rnd("u-")
	want := map[string]string{}
	for i := range 4 {
		id := fmt.Sprint("l", i)
		want[id] = fmt.Sprint("data", i)
		require.NoError(t, s.Create(t.Context(), uid, id, []byte(want[id]), time.Minute, time.Hour))
	}
	_, err := s.Delete(t.Context(), uid, "l3")
	require.NoError(t, err)
	delete(want, "l3")
	list, err := s.List(t.Context(), uid)
	require.NoError(t, err)
	got := map[string]string{}
	for _, e := range list {
		got[e.ID] = string(e.Data)
		require.WithinDuration(t, time.Now().Add(time.Hour), e.Expires, 2*time.Second)
	}
	require.Equal(t, want, got)
	empty, err := s.List(t.Context(), rnd("u-"))
	require.NoError(t, err)
	require.Empty(t, empty)
}

func testIdleExpiry(t *testing.T, s session.Store) {
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "i", []byte("x"), 300*time.Millisecond, time.Hour))
	require.NoError(t, s.Create(t.Context(), uid, "keep", []byte("x"), time.Minute, time.Hour))
	require.Eventually(t, func() bool { return gone(t, s, uid, "i") }, 5*time.Second, 25*time.Millisecond, "an idle session must expire")
	list, err := s.List(t.Context(), uid)
	require.NoError(t, err)
	require.Len(t, list, 1, "List must not return idle-expired sessions")
	require.Equal(t, "keep", list[0].ID)
}

func testIdleRefresh(t *testing.T, s session.Store) {
	const idle, after = 600 * time.Millisecond, 200 * time.Millisecond
	uid := rnd("u-")
	created := time.Now()
	require.NoError(t, s.Create(t.Context(), uid, "r", []byte("x"), idle, time.Hour))
	e, ok, err := s.Get(t.Context(), uid, "r", idle, after)
	require.NoError(t, err)
	require.True(t, ok)
	if time.Since(created) < after {
		require.False(t, e.Refreshed, "refreshed before refreshAfter had passed")
	}
	// Poll: the refresh happens once refreshAfter has passed, not before.
	var early atomic.Bool
	require.Eventually(t, func() bool {
		e, ok, err := s.Get(t.Context(), uid, "r", idle, after)
		if err != nil || !ok {
			return false
		}
		if e.Refreshed && time.Since(created) < after-20*time.Millisecond {
			early.Store(true)
		}
		return e.Refreshed
	}, 5*time.Second, 20*time.Millisecond)
	require.False(t, early.Load(), "refreshed before refreshAfter had passed")
	// Activity keeps the session alive well past its first idle deadline,
	// with one refresh per refreshAfter at most.
	start, refreshes, calls := time.Now(), 0, 0
	for time.Since(start) < 2*idle {
		e, ok, err := s.Get(t.Context(), uid, "r", idle, after)
		require.NoError(t, err)
		require.True(t, ok, "an active session expired")
		calls++
		if e.Refreshed {
			refreshes++
		}
		time.Sleep(10 * time.Millisecond) // the request rate of the simulated client
	}
	require.Greater(t, calls, 2*refreshes, "refreshes must be rarer than requests")
	require.LessOrEqual(t, refreshes, int(2*idle/after)+1)
	// Then idleness ends it.
	require.Eventually(t, func() bool { return gone(t, s, uid, "r") }, 5*time.Second, 25*time.Millisecond)
}

func testRefreshEveryCall(t *testing.T, s session.Store) {
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "e", []byte("x"), time.Minute, time.Hour))
	for range 3 {
		e, ok, err := s.Get(t.Context(), uid, "e", time.Minute, 0)
		require.NoError(t, err)
		require.True(t, ok)
		require.True(t, e.Refreshed, "refreshAfter 0 must refresh on every call")
	}
	e, _, err := s.Get(t.Context(), uid, "e", 0, 0)
	require.NoError(t, err)
	require.False(t, e.Refreshed, "idle 0 must never refresh")
}

func testAbsoluteCap(t *testing.T, s session.Store) {
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "a", []byte("x"), 5*time.Second, 400*time.Millisecond))
	require.Eventually(t, func() bool {
		_, found, err := s.Get(t.Context(), uid, "a", 5*time.Second, 0)
		return err == nil && !found
	}, 5*time.Second, 25*time.Millisecond, "refreshing must not extend a session past its absolute deadline")
}

func attempt(t *testing.T, s session.Store, key string, l session.Ladder) time.Duration {
	t.Helper()
	w, err := s.Attempt(t.Context(), key, l)
	require.NoError(t, err)
	return w
}

func testAttemptLadder(t *testing.T, s session.Store) {
	key := rnd("k:")
	l := session.Ladder{Free: 2, Delays: []time.Duration{300 * time.Millisecond, time.Hour}, Window: time.Hour}
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

// reserve reserves an attempt under key with a fresh id and returns the
// id ("" when not reserved) and the admission.
func reserve(t *testing.T, s session.Store, key string, l session.Ladder, hold time.Duration) (string, session.Admission) {
	t.Helper()
	id := rnd("r")
	a, err := s.Reserve(t.Context(), key, id, l, hold)
	require.NoError(t, err)
	if !a.Reserved {
		id = ""
	}
	return id, a
}

func settle(t *testing.T, s session.Store, key, id string, l session.Ladder, o session.Outcome) {
	t.Helper()
	require.NoError(t, s.Settle(t.Context(), key, id, l, o))
}

// fail reserves an attempt and settles it as a failure.
func fail(t *testing.T, s session.Store, key string, l session.Ladder) {
	t.Helper()
	id, a := reserve(t, s, key, l, time.Minute)
	require.True(t, a.Reserved, "reserve: %+v", a)
	settle(t, s, key, id, l, session.OutcomeFailed)
}

func testReserveLadder(t *testing.T, s session.Store) {
	key := rnd("k:")
	l := session.Ladder{Free: 2, Delays: []time.Duration{300 * time.Millisecond, time.Hour}, Window: time.Hour}
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
	settle(t, s, key, id, l, session.OutcomeFailed)
	_, a = reserve(t, s, key, l, time.Minute)
	require.Greater(t, a.Wait, 59*time.Minute, "the last delay repeats")
	_, a = reserve(t, s, rnd("k:"), l, time.Minute)
	require.True(t, a.Reserved, "keys are independent")
}

func testReserveSuccesses(t *testing.T, s session.Store) {
	key := rnd("k:")
	l := session.Ladder{Free: 1, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	for i := range 10 {
		id, a := reserve(t, s, key, l, time.Minute)
		require.True(t, a.Reserved, "success %d", i)
		settle(t, s, key, id, l, session.OutcomePassed)
	}
	fail(t, s, key, l)
	fail(t, s, key, l)
	_, a := reserve(t, s, key, l, time.Minute)
	require.Positive(t, a.Wait, "two failures lock, however many successes came first")
	id, _ := reserve(t, s, key, l, time.Minute)
	require.Empty(t, id)
}

func testReserveBusy(t *testing.T, s session.Store) {
	key := rnd("k:")
	l := session.Ladder{Free: 1, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	a1, _ := reserve(t, s, key, l, time.Minute)
	a2, _ := reserve(t, s, key, l, time.Minute)
	require.NotEmpty(t, a1)
	require.NotEmpty(t, a2, "the second attempt is within the free budget even if the first fails")
	id, a := reserve(t, s, key, l, time.Minute)
	require.Empty(t, id)
	require.Equal(t, session.Admission{}, a, "busy: neither reserved nor waiting")
	settle(t, s, key, a1, l, session.OutcomePassed)
	a3, _ := reserve(t, s, key, l, time.Minute)
	require.NotEmpty(t, a3, "a settled success makes room")
	settle(t, s, key, a2, l, session.OutcomeFailed)
	settle(t, s, key, a3, l, session.OutcomeFailed)
	_, a = reserve(t, s, key, l, time.Minute)
	require.Greater(t, a.Wait, 59*time.Minute, "both in-flight failures counted")
}

func testReserveLapses(t *testing.T, s session.Store) {
	key := rnd("k:")
	l := session.Ladder{Free: 0, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	lost, _ := reserve(t, s, key, l, 2*time.Second)
	require.NotEmpty(t, lost)
	id, _ := reserve(t, s, key, l, time.Minute)
	require.Empty(t, id, "busy while the first attempt is in flight")
	require.Eventually(t, func() bool {
		id, _ = reserve(t, s, key, l, time.Minute)
		return id != ""
	}, 10*time.Second, 20*time.Millisecond, "a reservation never settled lapses")
}

func testSettle(t *testing.T, s session.Store) {
	key := rnd("k:")
	l := session.Ladder{Free: 0, Delays: []time.Duration{time.Hour}, Window: time.Hour}
	for _, o := range []session.Outcome{session.OutcomePassed, session.OutcomeCleared} {
		settle(t, s, rnd("k:"), "nothing", l, o) // unknown keys: no-op
	}
	settle(t, s, key, "lapsed", l, session.OutcomeFailed)
	_, a := reserve(t, s, key, l, time.Minute)
	require.Greater(t, a.Wait, 59*time.Minute, "a failure counts even when its reservation lapsed")
	settle(t, s, key, "other", l, session.OutcomeCleared)
	id, _ := reserve(t, s, key, l, time.Minute)
	require.NotEmpty(t, id, "cleared: the failures and the wait are forgotten")
}

func testConcurrentReserve(t *testing.T, s session.Store) {
	l := session.Ladder{Free: 5, Delays: []time.Duration{time.Hour}, Window: time.Hour}
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

func testAdvanceStep(t *testing.T, s session.Store) {
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

func testTokens(t *testing.T, s session.Store) {
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

func testConcurrentReplace(t *testing.T, s session.Store) {
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "c", []byte("0"), time.Minute, time.Hour))
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				for {
					e, ok, err := s.Get(t.Context(), uid, "c", 0, 0)
					if err != nil || !ok {
						t.Errorf("get: %v %v", ok, err)
						return
					}
					var n int
					_, _ = fmt.Sscan(string(e.Data), &n)
					done, err := s.Replace(t.Context(), uid, "c", e.Data, []byte(fmt.Sprint(n+1)))
					if err != nil {
						t.Errorf("replace: %v", err)
						return
					}
					if done {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	e, _ := get(t, s, uid, "c")
	require.Equal(t, fmt.Sprint(workers*each), string(e.Data), "lost updates")
}

func testConcurrentAttempts(t *testing.T, s session.Store) {
	l := session.Ladder{Free: 5, Delays: []time.Duration{time.Hour}, Window: time.Hour}
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

func testConcurrentSingleUse(t *testing.T, s session.Store) {
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

// testOddUserIDs: any bytes are a user ID, those that make a broken Redis
// Cluster hash tag ("", "}...") included: a user's sessions and index stay
// together and apart from every other user's.
func testOddUserIDs(t *testing.T, s session.Store) {
	uids := []string{"", "}", "}u-1", "u}1", "{u-1}", "{", "nul\x00byte"}
	for i, uid := range uids {
		require.NoError(t, s.Create(t.Context(), uid, "s", []byte(fmt.Sprint(i)), time.Minute, time.Hour), "uid %q", uid)
	}
	for i, uid := range uids {
		e, found := get(t, s, uid, "s")
		require.True(t, found, "uid %q", uid)
		require.Equal(t, fmt.Sprint(i), string(e.Data), "uid %q", uid)
		list, err := s.List(t.Context(), uid)
		require.NoError(t, err, "uid %q", uid)
		require.Len(t, list, 1, "uid %q", uid)
		n, err := s.DeleteAll(t.Context(), uid)
		require.NoError(t, err, "uid %q", uid)
		require.Equal(t, 1, n, "uid %q", uid)
	}
}
