package idempotency_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/idempotency"
)

// creator counts the records it creates; gate, when set, holds each
// request until it is closed.
type creator struct {
	n    atomic.Int64
	gate chan struct{}
}

func (c *creator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.gate != nil {
		<-c.gate
	}
	if strings.Contains(r.URL.Path, "fail") {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	id := c.n.Add(1)
	w.Header().Set("Location", fmt.Sprint("/item/", id))
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"id":%d}`, id)
}

func newKeeper(t *testing.T, opts ...idempotency.Option) *idempotency.Keeper {
	k, err := idempotency.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = k.Close(context.Background()) })
	return k
}

func post(h http.Handler, path, key, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestReplay(t *testing.T) {
	c := &creator{}
	h := newKeeper(t).Handler(c)
	first := post(h, "/item", `"k-1"`, `{"a":1}`)
	require.Equal(t, http.StatusCreated, first.Code)
	again := post(h, "/item", `"k-1"`, `{"a":1}`)
	require.Equal(t, http.StatusCreated, again.Code)
	require.Equal(t, first.Body.String(), again.Body.String())
	require.Equal(t, "/item/1", again.Header().Get("Location"))
	require.Equal(t, "true", again.Header().Get("Idempotent-Replayed"))
	require.Empty(t, first.Header().Get("Idempotent-Replayed"))
	require.Equal(t, int64(1), c.n.Load(), "the retry did not run the handler")

	other := post(h, "/item", `"k-1"`, `{"a":2}`)
	require.Equal(t, http.StatusUnprocessableEntity, other.Code, other.Body.String())
	require.Contains(t, other.Body.String(), idempotency.CodeKeyReused)
	require.Equal(t, http.StatusUnprocessableEntity, post(h, "/other", `"k-1"`, `{"a":1}`).Code, "another path is another request")

	require.Equal(t, http.StatusCreated, post(h, "/item", "", `{"a":1}`).Code)
	require.Equal(t, http.StatusCreated, post(h, "/item", "", `{"a":1}`).Code)
	require.Equal(t, int64(3), c.n.Load(), "requests without a key are not deduplicated")
}

func TestScopes(t *testing.T) {
	c := &creator{}
	h := newKeeper(t, idempotency.WithScope(func(r *http.Request) string { return r.Header.Get("X-User") })).Handler(c)
	for _, u := range []string{"alice", "bob"} {
		r := httptest.NewRequest(http.MethodPost, "/item", strings.NewReader("{}"))
		r.Header.Set("Idempotency-Key", `"same"`)
		r.Header.Set("X-User", u)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, http.StatusCreated, w.Code)
		require.Empty(t, w.Header().Get("Idempotent-Replayed"), "%s does not get another account's answer", u)
	}
}

func TestServerErrorsAreNotStored(t *testing.T) {
	c := &creator{}
	h := newKeeper(t).Handler(c)
	require.Equal(t, http.StatusServiceUnavailable, post(h, "/fail", `"k"`, "{}").Code)
	w := post(h, "/fail", `"k"`, "{}")
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.Empty(t, w.Header().Get("Idempotent-Replayed"), "a 5xx is not replayed: the retry runs again")
}

// TestConcurrentRetries: of many concurrent requests with one key exactly
// one runs; the others are told it is in progress (409), and once it is
// done a retry gets its answer.
func TestConcurrentRetries(t *testing.T) {
	c := &creator{gate: make(chan struct{})}
	h := newKeeper(t).Handler(c)
	const n = 20
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { codes <- post(h, "/item", `"k"`, "{}").Code })
	}
	require.Eventually(t, func() bool { return len(codes) == n-1 }, 5*time.Second, 5*time.Millisecond)
	close(c.gate)
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for code := range codes {
		count[code]++
	}
	require.Equal(t, map[int]int{http.StatusCreated: 1, http.StatusConflict: n - 1}, count)
	require.Equal(t, int64(1), c.n.Load())
	w := post(h, "/item", `"k"`, "{}")
	require.Equal(t, http.StatusCreated, w.Code)
	require.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
}

func TestBadKeys(t *testing.T) {
	h := newKeeper(t).Handler(&creator{})
	for _, key := range []string{`""`, `"`, `"a`, `"a"b"`, `"\x"`, "a b", "a,b", `"` + strings.Repeat("k", 256) + `"`, "ü", "\x00", `"tab\there"`} {
		w := post(h, "/item", key, "{}")
		require.Equal(t, http.StatusBadRequest, w.Code, "key %q", key)
		require.Contains(t, w.Body.String(), idempotency.CodeBadKey, "key %q", key)
	}
	r := httptest.NewRequest(http.MethodPost, "/item", strings.NewReader("{}"))
	r.Header.Add("Idempotency-Key", `"a"`)
	r.Header.Add("Idempotency-Key", `"b"`)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusBadRequest, w.Code, "two keys")
}

func TestParseKey(t *testing.T) {
	for in, want := range map[string]string{
		`"8e03978e-40d5-43e8-bc93-6894a57f9324"`: "8e03978e-40d5-43e8-bc93-6894a57f9324",
		`"a \"quoted\" \\ key"`:                  `a "quoted" \ key`,
		"bare-token_1":                           "bare-token_1",
		` "padded" `:                             "padded",
	} {
		got, ok := idempotency.ParseKey(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
}

func TestBodyTooLarge(t *testing.T) {
	h := newKeeper(t, idempotency.WithMaxBody(8)).Handler(&creator{})
	require.Equal(t, http.StatusRequestEntityTooLarge, post(h, "/item", `"k"`, "123456789").Code)
	require.Equal(t, http.StatusCreated, post(h, "/item", `"k"`, "12345678").Code)
}

func TestOptions(t *testing.T) {
	for _, o := range []idempotency.Option{idempotency.WithStore(nil), idempotency.WithTTL(0), idempotency.WithLockTTL(-1),
		idempotency.WithMaxBody(0), idempotency.WithScope(nil), idempotency.WithLogger(nil)} {
		_, err := idempotency.New(o)
		require.ErrorIs(t, err, idempotency.ErrOption)
	}
}

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{`"k"`, `"a\"b"`, "tok", `""`, `"\`, "ü", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, ok := idempotency.ParseKey(s)
		if ok && (k == "" || len(k) > idempotency.MaxKeyLength) {
			t.Fatalf("ParseKey(%q) = %q, accepted", s, k)
		}
	})
}

// staged lets each request it serves in only when the test says so, and
// answers the first with status first and the others with 201.
type staged struct {
	first   int
	calls   atomic.Int64
	entered chan int64
	release [3]chan struct{}
}

func (s *staged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.calls.Add(1)
	s.entered <- n
	<-s.release[n-1]
	if n == 1 {
		w.WriteHeader(s.first)
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"call":%d}`, n)
}

// TestExpiredReservationKeepsOffTheRetrys: a request that outlives its
// lock (A), then a retry that begins after the lock ended (B): when A ends,
// with an error (Abandon) or an answer (Complete), B's reservation stays,
// so a third request (C) waits for B instead of running again, and B's
// answer is the one replayed.
func TestExpiredReservationKeepsOffTheRetrys(t *testing.T) {
	for _, first := range []int{http.StatusServiceUnavailable, http.StatusCreated} {
		t.Run(fmt.Sprint("A answers ", first), func(t *testing.T) {
			const lock = 50 * time.Millisecond
			s := &staged{first: first, entered: make(chan int64, 3)}
			for i := range s.release {
				s.release[i] = make(chan struct{})
			}
			close(s.release[2]) // a third run (the defect) goes straight through
			h := newKeeper(t, idempotency.WithLockTTL(lock)).Handler(s)
			answers := [2]chan *httptest.ResponseRecorder{make(chan *httptest.ResponseRecorder, 1), make(chan *httptest.ResponseRecorder, 1)}
			for i := range 2 {
				go func() { answers[i] <- post(h, "/item", `"k-slow"`, `{}`) }()
				require.Equal(t, int64(i+1), <-s.entered)
				if i == 0 {
					time.Sleep(3 * lock) // A's lock ends
				}
			}
			close(s.release[0]) // A ends while B runs
			<-answers[0]

			c := post(h, "/item", `"k-slow"`, `{}`)
			require.Equal(t, http.StatusConflict, c.Code, "C ran although B holds the key: %s", c.Body)
			require.Equal(t, int64(2), s.calls.Load())

			close(s.release[1])
			require.Equal(t, http.StatusCreated, (<-answers[1]).Code)
			d := post(h, "/item", `"k-slow"`, `{}`)
			require.Equal(t, http.StatusCreated, d.Code)
			require.Equal(t, `{"call":2}`, d.Body.String(), "B's answer is replayed")
		})
	}
}
