package ratelimit_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/ratelimit"
)

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

func serve(h http.Handler, remote string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/person", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// inBubble runs fn with a Limiter (3 requests per 3 s: one per second,
// burst 3) on a fake clock.
func inBubble(t *testing.T, fn func(t *testing.T, h http.Handler), opts ...ratelimit.Option) {
	synctest.Test(t, func(t *testing.T) {
		opts = append([]ratelimit.Option{ratelimit.WithAnonymousLimit(ratelimit.Per(3, 3*time.Second))}, opts...)
		l, err := ratelimit.New(opts...)
		require.NoError(t, err)
		defer func() { require.NoError(t, l.Close(context.Background())) }()
		fn(t, l.Handler(okHandler))
	})
}

type want struct {
	status     int
	rateLimit  string
	retryAfter string
}

func check(t *testing.T, w *httptest.ResponseRecorder, want want, msg string) {
	t.Helper()
	require.Equal(t, want.status, w.Code, msg)
	require.Equal(t, want.rateLimit, w.Header().Get("RateLimit"), msg+": RateLimit")
	require.Equal(t, want.retryAfter, w.Header().Get("Retry-After"), msg+": Retry-After")
	require.Equal(t, `"default";q=3;w=3`, w.Header().Get("RateLimit-Policy"), msg+": RateLimit-Policy")
}

const client = "192.0.2.1:1234"

// TestHeaderRateLimitRemaining: the "r" parameter counts down to 0, stays
// 0 while denied, and grows exactly when an event's share comes back.
func TestHeaderRateLimitRemaining(t *testing.T) {
	inBubble(t, func(t *testing.T, h http.Handler) {
		check(t, serve(h, client), want{204, `"default";r=2;t=1`, ""}, "1st")
		check(t, serve(h, client), want{204, `"default";r=1;t=1`, ""}, "2nd")
		check(t, serve(h, client), want{204, `"default";r=0;t=1`, ""}, "3rd")
		check(t, serve(h, client), want{429, `"default";r=0;t=1`, "1"}, "4th")
		time.Sleep(time.Second - time.Nanosecond)
		check(t, serve(h, client), want{429, `"default";r=0;t=1`, "1"}, "1 ns before the edge")
		time.Sleep(time.Nanosecond)
		check(t, serve(h, client), want{204, `"default";r=0;t=1`, ""}, "at the edge")
		time.Sleep(3 * time.Second)
		check(t, serve(h, client), want{204, `"default";r=2;t=1`, ""}, "after a full period: full burst")
	})
}

// TestHeaderRateLimitReset: the "t" parameter is the time until one more
// request is available, rounded up to a whole second, at and around the
// edges.
func TestHeaderRateLimitReset(t *testing.T) {
	inBubble(t, func(t *testing.T, h http.Handler) {
		serve(h, client)
		serve(h, client)
		serve(h, client) // spent: events come back at 1 s, 2 s, 3 s
		time.Sleep(500 * time.Millisecond)
		check(t, serve(h, client), want{429, `"default";r=0;t=1`, "1"}, "0.5 s before the edge")
		time.Sleep(500 * time.Millisecond)
		check(t, serve(h, client), want{204, `"default";r=0;t=1`, ""}, "edge: t is a whole interval again")
		time.Sleep(time.Nanosecond)
		check(t, serve(h, client), want{429, `"default";r=0;t=1`, "1"}, "1 ns after: t rounds up")
		time.Sleep(2500 * time.Millisecond) // now 3.5 s: TAT 4 s, 0.5 s from a refill
		check(t, serve(h, client), want{204, `"default";r=1;t=1`, ""}, "mid-interval")
	}, ratelimit.WithAnonymousLimit(ratelimit.Per(3, 3*time.Second)))

	synctest.Test(t, func(t *testing.T) {
		l, err := ratelimit.New(ratelimit.WithAnonymousLimit(ratelimit.Per(2, 20*time.Second))) // one per 10 s
		require.NoError(t, err)
		defer func() { require.NoError(t, l.Close(context.Background())) }()
		h := l.Handler(okHandler)
		require.Equal(t, `"default";r=1;t=10`, serve(h, client).Header().Get("RateLimit"))
		time.Sleep(4 * time.Second)
		require.Equal(t, `"default";r=0;t=6`, serve(h, client).Header().Get("RateLimit"), "TAT 16 s at 4 s: next share in 6 s")
		time.Sleep(5*time.Second + time.Nanosecond)
		w := serve(h, client)
		require.Equal(t, 429, w.Code)
		require.Equal(t, `"default";r=0;t=1`, w.Header().Get("RateLimit"), "1 s - 1 ns to the edge rounds up to 1")
		time.Sleep(time.Second - time.Nanosecond)
		require.Equal(t, `"default";r=0;t=10`, serve(h, client).Header().Get("RateLimit"), "at the edge, allowed: the next share is a whole interval away")
	})
}

// TestHeaderRetryAfter: Retry-After is whole seconds, rounded up, never
// earlier than the RateLimit reset, and a client that waits exactly that
// long is served.
func TestHeaderRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, err := ratelimit.New(ratelimit.WithAnonymousLimit(ratelimit.Per(1, 10*time.Second)))
		require.NoError(t, err)
		defer func() { require.NoError(t, l.Close(context.Background())) }()
		h := l.Handler(okHandler)
		require.Equal(t, 204, serve(h, client).Code)
		cases := []struct {
			sleep time.Duration
			want  string
		}{
			{0, "10"},
			{time.Nanosecond, "10"},                // 10 s - 1 ns rounds up
			{time.Second - time.Nanosecond, "9"},   // exactly 9 s left
			{8*time.Second + time.Nanosecond, "1"}, // 1 s - 1 ns left
			{time.Second - 2*time.Nanosecond, "1"}, // 1 ns left
		}
		for _, c := range cases {
			time.Sleep(c.sleep)
			w := serve(h, client)
			require.Equal(t, 429, w.Code)
			require.Equal(t, c.want, w.Header().Get("Retry-After"))
		}
		time.Sleep(time.Nanosecond)
		require.Equal(t, 204, serve(h, client).Code, "at the edge")
	})
}

// TestRetryAfterNeverEarlierThanReset sweeps a denied client over many
// offsets of two limits: Retry-After >= t, and waiting Retry-After seconds
// is always enough.
func TestRetryAfterNeverEarlierThanReset(t *testing.T) {
	for _, lim := range []ratelimit.Limit{ratelimit.Per(3, 3*time.Second), ratelimit.Per(7, 10*time.Second), {Rate: 5, Period: time.Second, Burst: 2}} {
		t.Run(lim.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l, err := ratelimit.New(ratelimit.WithAnonymousLimit(lim))
				require.NoError(t, err)
				defer func() { require.NoError(t, l.Close(context.Background())) }()
				h := l.Handler(okHandler)
				denials := 0
				for step := range 400 {
					time.Sleep(time.Duration(step%7) * 37 * time.Millisecond)
					w := serve(h, client)
					if w.Code != 429 {
						continue
					}
					denials++
					ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
					require.NoError(t, err)
					var r, tt int
					_, err = fmtSscanf(w.Header().Get("RateLimit"), &r, &tt)
					require.NoError(t, err)
					require.GreaterOrEqual(t, ra, tt, "Retry-After earlier than the reset")
					require.GreaterOrEqual(t, ra, 1)
					time.Sleep(time.Duration(ra) * time.Second)
					require.Equal(t, 204, serve(h, client).Code, "a client that waited Retry-After was refused")
				}
				require.Positive(t, denials)
			})
		})
	}
}

// TestHeaderPolicy: RateLimit-Policy is the same on every response,
// allowed or denied, and follows the limit.
func TestHeaderPolicy(t *testing.T) {
	cases := []struct {
		lim  ratelimit.Limit
		name string
		want string
	}{
		{ratelimit.PerMinute(100), "", `"default";q=100;w=60`},
		{ratelimit.Per(10, 500*time.Millisecond), "", `"default";q=10;w=1`},
		{ratelimit.Per(10, 1500*time.Millisecond), "", `"default";q=10;w=2`},
		{ratelimit.Limit{Rate: 10, Period: time.Hour, Burst: 3}, "", `"default";q=10;w=3600;apicrud-burst=3`},
		{ratelimit.PerSecond(5), `per "ip" \ route`, `"per \"ip\" \\ route";q=5;w=1`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			opts := []ratelimit.Option{ratelimit.WithAnonymousLimit(c.lim)}
			if c.name != "" {
				opts = append(opts, ratelimit.WithPolicyName(c.name))
			}
			l := newLimiter(t, opts...)
			h := l.Handler(okHandler)
			for range c.lim.MaxBurst() + 1 {
				require.Equal(t, c.want, serve(h, client).Header().Get("RateLimit-Policy"))
			}
		})
	}
}

func TestMiddleware429Body(t *testing.T) {
	l := newLimiter(t, ratelimit.WithAnonymousLimit(ratelimit.PerHour(1)))
	h := l.Handler(okHandler)
	require.Equal(t, 204, serve(h, client).Code)
	w := serve(h, client)
	require.Equal(t, http.StatusTooManyRequests, w.Code)
	require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
	require.Equal(t, "ratelimit.exceeded", body["code"])
	require.Equal(t, ratelimit.ProblemTypeQuotaExceeded, body["type"])
	require.Equal(t, float64(429), body["status"])
}

// TestMiddlewareDenyAll: a LimitSource's 0 answers 429 at once, with a
// Retry-After of one period.
func TestMiddlewareDenyAll(t *testing.T) {
	src := &source{limits: map[string]int{"blocked/*": 0}}
	l := newLimiter(t, ratelimit.WithLimitSource(src), ratelimit.WithDefaultLimit(ratelimit.PerMinute(10)),
		ratelimit.WithKeyFunc(func(r *http.Request) (string, bool) { return r.Header.Get("X-Test-User"), true }))
	w := serve(l.Handler(okHandler), client, "X-Test-User", "blocked")
	require.Equal(t, 429, w.Code)
	require.Equal(t, `"default";q=0;w=60`, w.Header().Get("RateLimit-Policy"))
	require.Equal(t, `"default";r=0;t=60`, w.Header().Get("RateLimit"))
	require.Equal(t, "60", w.Header().Get("Retry-After"))
}

func TestMiddlewareKeys(t *testing.T) {
	l := newLimiter(t,
		ratelimit.WithDefaultLimit(ratelimit.PerHour(2)),
		ratelimit.WithAnonymousLimit(ratelimit.PerHour(1)),
		ratelimit.WithTrustedProxies("10.0.0.0/8"),
		ratelimit.WithKeyFunc(func(r *http.Request) (string, bool) {
			uid := r.Header.Get("X-Test-User")
			return uid, uid != ""
		}))
	h := l.Handler(okHandler)
	login := l.Middleware("login")(okHandler)

	// A principal gets the default limit, wherever it comes from.
	require.Equal(t, 204, serve(h, "192.0.2.1:1", "X-Test-User", "alice").Code)
	require.Equal(t, 204, serve(h, "192.0.2.2:1", "X-Test-User", "alice").Code)
	require.Equal(t, 429, serve(h, "192.0.2.3:1", "X-Test-User", "alice").Code)
	require.Equal(t, 204, serve(h, "192.0.2.1:1", "X-Test-User", "bob").Code)
	require.Equal(t, 204, serve(login, "192.0.2.1:1", "X-Test-User", "alice").Code, "another service, another bucket")

	// Anonymous requests: by peer address.
	require.Equal(t, 204, serve(h, "192.0.2.9:1").Code)
	require.Equal(t, 429, serve(h, "192.0.2.9:2").Code)
	require.Equal(t, 429, serve(h, "192.0.2.9:3", "X-Forwarded-For", "198.51.100.1").Code, "untrusted peer: XFF ignored")
	// Behind the trusted proxy: by forwarded address.
	require.Equal(t, 204, serve(h, "10.0.0.1:1", "X-Forwarded-For", "198.51.100.1").Code)
	require.Equal(t, 204, serve(h, "10.0.0.1:1", "X-Forwarded-For", "198.51.100.2").Code)
	require.Equal(t, 429, serve(h, "10.0.0.2:1", "X-Forwarded-For", "6.6.6.6, 198.51.100.2").Code, "a spoofed left entry changes nothing")
}

// TestMiddlewareFailClosed: with the store down, the default answers 503
// problem+json, reports the error, and never calls the handler.
func TestMiddlewareFailClosed(t *testing.T) {
	var reported []error
	l := newLimiter(t, ratelimit.WithStore(failing{}), ratelimit.WithErrorFunc(func(_ *http.Request, err error) { reported = append(reported, err) }))
	called := false
	h := l.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	w := serve(h, client)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	require.False(t, called)
	require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	require.Empty(t, w.Header().Get("RateLimit"))
	require.NotContains(t, w.Body.String(), errDown.Error(), "internal error text leaked")
	var body map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
	require.Equal(t, "ratelimit.unavailable", body["code"])
	require.Len(t, reported, 1)
	require.ErrorIs(t, reported[0], errDown)
}

func TestMiddlewareFailOpen(t *testing.T) {
	var reported int
	l := newLimiter(t, ratelimit.WithStore(failing{}), ratelimit.WithFailOpen(true),
		ratelimit.WithErrorFunc(func(*http.Request, error) { reported++ }))
	w := serve(l.Handler(okHandler), client)
	require.Equal(t, http.StatusNoContent, w.Code)
	require.Empty(t, w.Header().Get("RateLimit"))
	require.Equal(t, 1, reported)
}

// TestMiddlewareSourceFailure: a failing LimitSource follows the same
// failure policy as a failing store.
func TestMiddlewareSourceFailure(t *testing.T) {
	var reported int
	l := newLimiter(t, ratelimit.WithLimitSource(&source{err: errDown}),
		ratelimit.WithKeyFunc(func(*http.Request) (string, bool) { return "u", true }),
		ratelimit.WithErrorFunc(func(*http.Request, error) { reported++ }))
	require.Equal(t, http.StatusServiceUnavailable, serve(l.Handler(okHandler), client).Code)
	require.Equal(t, 1, reported)
}

// TestMiddlewareClientGone: a request whose context is cancelled is not
// reported as a limiter failure.
func TestMiddlewareClientGone(t *testing.T) {
	reported := 0
	l := newLimiter(t, ratelimit.WithStore(ctxStore{}), ratelimit.WithErrorFunc(func(*http.Request, error) { reported++ }))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	w := httptest.NewRecorder()
	l.Handler(okHandler).ServeHTTP(w, r)
	require.Equal(t, 503, w.Code)
	require.Zero(t, reported)
}

// ctxStore fails like a network store does when the context ends.
type ctxStore struct{}

func (ctxStore) Allow(ctx context.Context, _ string, _ ratelimit.Limit, _ int) (ratelimit.Result, error) {
	return ratelimit.Result{}, ctx.Err()
}
func (ctxStore) Reset(ctx context.Context, _ string) error { return ctx.Err() }
