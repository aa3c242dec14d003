package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/registry"
)

// Run runs every case against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) registry.Store) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, s registry.Store)
	}{
		{"PutList", testPutList},
		{"ListPrefix", testListPrefix},
		{"PutReplaces", testPutReplaces},
		{"DeleteCompares", testDeleteCompares},
		{"Expiry", testExpiry},
		{"PutRefreshesTTL", testPutRefreshesTTL},
		{"DeleteExpired", testDeleteExpired},
		{"BinaryValues", testBinaryValues},
		{"ManyEntries", testManyEntries},
		{"CancelledContext", testCancelledContext},
		{"Concurrent", testConcurrent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, newStore(t))
		})
	}
}

func list(t *testing.T, s registry.Store, prefix string) map[string]string {
	t.Helper()
	// Not t.Context(): require.Eventually and Never may still be running
	// a condition that calls list when the test ends and cancels it.
	recs, err := s.List(context.Background(), prefix)
	require.NoError(t, err)
	out := make(map[string]string, len(recs))
	for _, r := range recs {
		_, dup := out[r.Key]
		require.False(t, dup, "key %q listed twice", r.Key)
		out[r.Key] = string(r.Value)
	}
	return out
}

func testPutList(t *testing.T, s registry.Store) {
	ctx := t.Context()
	require.Empty(t, list(t, s, ""))
	require.NoError(t, s.Put(ctx, "main:a", []byte("va"), time.Minute))
	require.NoError(t, s.Put(ctx, "main:b", []byte("vb"), time.Minute))
	require.Equal(t, map[string]string{"main:a": "va", "main:b": "vb"}, list(t, s, ""))
}

func testListPrefix(t *testing.T, s registry.Store) {
	ctx := t.Context()
	require.NoError(t, s.Put(ctx, "main:a", []byte("1"), time.Minute))
	require.NoError(t, s.Put(ctx, "mainx:b", []byte("2"), time.Minute))
	require.NoError(t, s.Put(ctx, "media:c", []byte("3"), time.Minute))
	require.Equal(t, map[string]string{"main:a": "1"}, list(t, s, "main:"))
	require.Equal(t, map[string]string{"media:c": "3"}, list(t, s, "media:"))
	require.Empty(t, list(t, s, "nothing:"))
	require.Len(t, list(t, s, ""), 3)
}

func testPutReplaces(t *testing.T, s registry.Store) {
	ctx := t.Context()
	require.NoError(t, s.Put(ctx, "main:a", []byte("old"), time.Minute))
	require.NoError(t, s.Put(ctx, "main:a", []byte("new"), time.Minute))
	require.Equal(t, map[string]string{"main:a": "new"}, list(t, s, ""))
}

func testDeleteCompares(t *testing.T, s registry.Store) {
	ctx := t.Context()
	require.NoError(t, s.Put(ctx, "main:a", []byte("mine"), time.Minute))

	ok, err := s.Delete(ctx, "main:a", []byte("someone else's"))
	require.NoError(t, err)
	require.False(t, ok, "a different value is not deleted")
	require.Len(t, list(t, s, ""), 1)

	ok, err = s.Delete(ctx, "main:a", []byte("mine"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Empty(t, list(t, s, ""))

	ok, err = s.Delete(ctx, "main:a", []byte("mine"))
	require.NoError(t, err)
	require.False(t, ok, "deleting an absent key")
	ok, err = s.Delete(ctx, "main:never", nil)
	require.NoError(t, err)
	require.False(t, ok)
}

const shortTTL = 150 * time.Millisecond

func testExpiry(t *testing.T, s registry.Store) {
	ctx := t.Context()
	require.NoError(t, s.Put(ctx, "main:short", []byte("x"), shortTTL))
	require.NoError(t, s.Put(ctx, "main:long", []byte("y"), time.Minute))
	require.Len(t, list(t, s, ""), 2)
	require.Eventually(t, func() bool {
		_, present := list(t, s, "")["main:short"]
		return !present
	}, 5*time.Second, 20*time.Millisecond, "the entry expires after its ttl")
	require.Equal(t, map[string]string{"main:long": "y"}, list(t, s, ""))
}

func testPutRefreshesTTL(t *testing.T, s registry.Store) {
	ctx := t.Context()
	require.NoError(t, s.Put(ctx, "main:a", []byte("x"), shortTTL))
	require.NoError(t, s.Put(ctx, "main:a", []byte("x"), time.Minute))
	require.Never(t, func() bool { return len(list(t, s, "")) != 1 }, 3*shortTTL, 20*time.Millisecond,
		"the second Put set a new deadline")
}

func testDeleteExpired(t *testing.T, s registry.Store) {
	ctx := t.Context()
	require.NoError(t, s.Put(ctx, "main:a", []byte("x"), shortTTL))
	require.Eventually(t, func() bool { return len(list(t, s, "")) == 0 }, 5*time.Second, 20*time.Millisecond)
	ok, err := s.Delete(ctx, "main:a", []byte("x"))
	require.NoError(t, err)
	require.False(t, ok, "an expired entry is not reported as deleted")
}

func testBinaryValues(t *testing.T, s registry.Store) {
	ctx := t.Context()
	v := make([]byte, 256)
	for i := range v {
		v[i] = byte(i)
	}
	require.NoError(t, s.Put(ctx, "main:bin", v, time.Minute))
	require.NoError(t, s.Put(ctx, "main:empty", nil, time.Minute))
	recs, err := s.List(ctx, "")
	require.NoError(t, err)
	got := map[string][]byte{}
	for _, r := range recs {
		got[r.Key] = r.Value
	}
	require.True(t, bytes.Equal(v, got["main:bin"]))
	require.Empty(t, got["main:empty"])
	_, ok := got["main:empty"]
	require.True(t, ok)
	// The store keeps its own copy.
	v[0] = 0xff
	recs, err = s.List(ctx, "main:bin")
	require.NoError(t, err)
	require.Equal(t, byte(0), recs[0].Value[0])
	ok, err = s.Delete(ctx, "main:bin", recs[0].Value)
	require.NoError(t, err)
	require.True(t, ok)
}

func testManyEntries(t *testing.T, s registry.Store) {
	ctx := t.Context()
	want := map[string]string{}
	for i := range 300 {
		k, v := fmt.Sprintf("svc%d:id-%d", i%3, i), fmt.Sprintf("value-%d", i)
		require.NoError(t, s.Put(ctx, k, []byte(v), time.Minute))
		want[k] = v
	}
	require.Equal(t, want, list(t, s, ""))
	require.Len(t, list(t, s, "svc1:"), 100)
}

func testCancelledContext(t *testing.T, s registry.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.Error(t, s.Put(ctx, "main:a", []byte("x"), time.Minute))
	_, err := s.Delete(ctx, "main:a", []byte("x"))
	require.Error(t, err)
	_, err = s.List(ctx, "")
	require.Error(t, err)
}

// testConcurrent runs writers, deleters and listers at once (run it with
// -race) and then checks the exact final state.
func testConcurrent(t *testing.T, s registry.Store) {
	ctx := t.Context()
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*2)
	for w := range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				key := fmt.Sprintf("w%d:i%d", w, i)
				if err := s.Put(ctx, key, []byte(key), time.Minute); err != nil {
					errs <- err
					return
				}
				if i%2 == 1 { // odd entries are removed again
					ok, err := s.Delete(ctx, key, []byte(key))
					if err != nil || !ok {
						errs <- fmt.Errorf("delete %s: %v %v", key, ok, err)
						return
					}
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range perWorker {
				if _, err := s.List(ctx, fmt.Sprintf("w%d:", w)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got := list(t, s, "")
	require.Len(t, got, workers*((perWorker+1)/2))
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		require.Equal(t, k, got[k])
	}
}
