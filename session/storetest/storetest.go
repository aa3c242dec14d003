package storetest

import (
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
		{"DeleteAllButOne", testDeleteAllButOne},
		{"LastUse", testLastUse},
		{"LastUseWithoutIdle", testLastUseWithoutIdle},
		{"List", testList},
		{"IdleExpiry", testIdleExpiry},
		{"IdleRefreshOnlyWhenDue", testIdleRefresh},
		{"RefreshEveryCall", testRefreshEveryCall},
		{"AbsoluteDeadlineCapsRefresh", testAbsoluteCap},
		{"ConcurrentReplace", testConcurrentReplace},
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
	e, ok, err := s.Get(t.Context(), uid, id, 0, 0, nil)
	require.NoError(t, err)
	return e, ok
}

// gone reports whether session id of uid is absent (safe inside Eventually).
func gone(t *testing.T, s session.Store, uid, id string) bool {
	_, found, err := s.Get(t.Context(), uid, id, 0, 0, nil)
	return err == nil && !found
}

func testCreateGet(t *testing.T, s session.Store) {
	uid, id := rnd("u-"), rnd("id")
	before := time.Now()
	require.NoError(t, s.Create(t.Context(), uid, id, []byte("sealed"), time.Minute, time.Hour))
	e, ok, err := s.Get(t.Context(), uid, id, time.Minute, time.Minute, nil)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, id, e.ID)
	require.Equal(t, []byte("sealed"), e.Data)
	require.False(t, e.Refreshed, "a Get right after Create must not refresh")
	require.WithinDuration(t, before.Add(time.Hour), e.Expires, 2*time.Second)
}

func testGetMissing(t *testing.T, s session.Store) {
	_, ok, err := s.Get(t.Context(), rnd("u-"), rnd("id"), time.Minute, 0, nil)
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
	n, err := s.DeleteAll(t.Context(), u2, "")
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
	n, err := s.DeleteAll(t.Context(), uid, "")
	require.NoError(t, err)
	require.Equal(t, 3, n)
	for i := range 3 {
		_, found := get(t, s, uid, fmt.Sprint("s", i))
		require.False(t, found)
	}
	_, found := get(t, s, other, "s0")
	require.True(t, found)
	n, err = s.DeleteAll(t.Context(), uid, "")
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
	e, ok, err := s.Get(t.Context(), uid, "r", idle, after, nil)
	require.NoError(t, err)
	require.True(t, ok)
	if time.Since(created) < after {
		require.False(t, e.Refreshed, "refreshed before refreshAfter had passed")
	}
	// Poll: the refresh happens once refreshAfter has passed, not before.
	var early atomic.Bool
	require.Eventually(t, func() bool {
		e, ok, err := s.Get(t.Context(), uid, "r", idle, after, nil)
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
		e, ok, err := s.Get(t.Context(), uid, "r", idle, after, nil)
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
		e, ok, err := s.Get(t.Context(), uid, "e", time.Minute, 0, nil)
		require.NoError(t, err)
		require.True(t, ok)
		require.True(t, e.Refreshed, "refreshAfter 0 must refresh on every call")
	}
	e, _, err := s.Get(t.Context(), uid, "e", 0, 0, nil)
	require.NoError(t, err)
	require.False(t, e.Refreshed, "idle 0 must never refresh")
}

func testAbsoluteCap(t *testing.T, s session.Store) {
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "a", []byte("x"), 5*time.Second, 400*time.Millisecond))
	require.Eventually(t, func() bool {
		_, found, err := s.Get(t.Context(), uid, "a", 5*time.Second, 0, nil)
		return err == nil && !found
	}, 5*time.Second, 25*time.Millisecond, "refreshing must not extend a session past its absolute deadline")
}

// reserve reserves an attempt under key with a fresh id and returns the
// id ("" when not reserved) and the admission.
// fail reserves an attempt and settles it as a failure.
func testConcurrentReplace(t *testing.T, s session.Store) {
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "c", []byte("0"), time.Minute, time.Hour))
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				for {
					e, ok, err := s.Get(t.Context(), uid, "c", 0, 0, nil)
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
		n, err := s.DeleteAll(t.Context(), uid, "")
		require.NoError(t, err, "uid %q", uid)
		require.Equal(t, 1, n, "uid %q", uid)
	}
}

func testDeleteAllButOne(t *testing.T, s session.Store) {
	uid, other := rnd("u-"), rnd("u-")
	for i := range 3 {
		require.NoError(t, s.Create(t.Context(), uid, fmt.Sprint("s", i), []byte("x"), time.Minute, time.Hour))
	}
	require.NoError(t, s.Create(t.Context(), other, "s0", []byte("y"), time.Minute, time.Hour))
	n, err := s.DeleteAll(t.Context(), uid, "s1")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	_, found := get(t, s, uid, "s1")
	require.True(t, found, "the kept session must live on")
	for _, id := range []string{"s0", "s2"} {
		_, found := get(t, s, uid, id)
		require.False(t, found, "session %s", id)
	}
	_, found = get(t, s, other, "s0")
	require.True(t, found, "another user's session with the kept id must live on")
	list, err := s.List(t.Context(), uid)
	require.NoError(t, err)
	require.Len(t, list, 1, "the index must hold the kept session only")
	require.Equal(t, "s1", list[0].ID)
	// Again: nothing but the kept one is left.
	n, err = s.DeleteAll(t.Context(), uid, "s1")
	require.NoError(t, err)
	require.Equal(t, 0, n)
	// Keeping an id that does not exist removes them all.
	n, err = s.DeleteAll(t.Context(), uid, "unknown")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	list, err = s.List(t.Context(), uid)
	require.NoError(t, err)
	require.Empty(t, list)
	// The user can log in again afterwards.
	require.NoError(t, s.Create(t.Context(), uid, "again", []byte("z"), time.Minute, time.Hour))
	list, err = s.List(t.Context(), uid)
	require.NoError(t, err)
	require.Len(t, list, 1)
}

// useOf returns the last use List gives for session id of uid.
func useOf(t *testing.T, s session.Store, uid, id string) []byte {
	t.Helper()
	list, err := s.List(t.Context(), uid)
	require.NoError(t, err)
	for _, e := range list {
		if e.ID == id {
			return e.Use
		}
	}
	t.Fatalf("session %s not listed", id)
	return nil
}

func testLastUse(t *testing.T, s session.Store) {
	uid := rnd("u-")
	require.NoError(t, s.Create(t.Context(), uid, "u", []byte("x"), time.Minute, time.Hour))
	require.Nil(t, useOf(t, s, uid, "u"), "a new session has no last use")
	// Not due: nothing is written.
	e, ok, err := s.Get(t.Context(), uid, "u", time.Minute, time.Hour, sealed("use-1"))
	require.NoError(t, err)
	require.True(t, ok)
	require.False(t, e.Refreshed)
	require.Nil(t, useOf(t, s, uid, "u"), "a use must not be stored before the refresh is due")
	// Due: the use is stored with the refresh.
	e, ok, err = s.Get(t.Context(), uid, "u", time.Minute, 0, sealed("use-2\x00\xff"))
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, e.Refreshed)
	require.Equal(t, []byte("x"), e.Data)
	require.Equal(t, []byte("use-2\x00\xff"), useOf(t, s, uid, "u"), "binary last use round trip")
	// A refresh without a use keeps the last one.
	e, _, err = s.Get(t.Context(), uid, "u", time.Minute, 0, nil)
	require.NoError(t, err)
	require.True(t, e.Refreshed)
	require.Equal(t, []byte("use-2\x00\xff"), useOf(t, s, uid, "u"))
	// Replace keeps the last use; Get never returns it.
	ok, err = s.Replace(t.Context(), uid, "u", []byte("x"), []byte("y"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, []byte("use-2\x00\xff"), useOf(t, s, uid, "u"), "Replace must keep the last use")
	e, _ = get(t, s, uid, "u")
	require.Equal(t, []byte("y"), e.Data)
	require.Nil(t, e.Use, "Get does not return the last use")
	// A deleted and recreated session starts without one.
	_, err = s.Delete(t.Context(), uid, "u")
	require.NoError(t, err)
	require.NoError(t, s.Create(t.Context(), uid, "u", []byte("z"), time.Minute, time.Hour))
	require.Nil(t, useOf(t, s, uid, "u"), "a recreated session must not inherit a last use")
}

// testLastUseWithoutIdle: without an idle timeout a use is still stored
// when due, and the session gets no idle deadline from it.
func testLastUseWithoutIdle(t *testing.T, s session.Store) {
	uid := rnd("u-")
	created := time.Now()
	require.NoError(t, s.Create(t.Context(), uid, "n", []byte("x"), 0, time.Hour))
	e, _, err := s.Get(t.Context(), uid, "n", 0, time.Hour, sealed("early"))
	require.NoError(t, err)
	require.False(t, e.Refreshed, "not due yet")
	var early atomic.Bool
	require.Eventually(t, func() bool {
		e, ok, err := s.Get(t.Context(), uid, "n", 0, 200*time.Millisecond, sealed("late"))
		if err != nil || !ok {
			return false
		}
		if e.Refreshed && time.Since(created) < 180*time.Millisecond {
			early.Store(true)
		}
		return e.Refreshed
	}, 5*time.Second, 20*time.Millisecond)
	require.False(t, early.Load(), "stored before refreshAfter had passed")
	require.Equal(t, []byte("late"), useOf(t, s, uid, "n"))
	// No idle deadline appeared: the session outlives a short wait.
	time.Sleep(300 * time.Millisecond)
	_, found := get(t, s, uid, "n")
	require.True(t, found, "a last use must not give the session an idle timeout")
}

// sealed returns a use function that gives b.
func sealed(b string) func() []byte { return func() []byte { return []byte(b) } }
