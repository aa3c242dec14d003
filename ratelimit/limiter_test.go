package ratelimit_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/ratelimit"
)

// source is a LimitSource from a map keyed by "uid/service".
type source struct {
	limits map[string]int
	err    error
	calls  int
}

func (s *source) RateLimit(_ context.Context, uid, service string) (int, bool, error) {
	s.calls++
	if s.err != nil {
		return 0, false, s.err
	}
	n, ok := s.limits[uid+"/"+service]
	return n, ok, nil
}

// failing is a Store whose every call fails, as an unreachable Redis.
type failing struct{}

var errDown = errors.New("connection refused")

func (failing) Allow(context.Context, string, ratelimit.Limit, int) (ratelimit.Result, error) {
	return ratelimit.Result{}, errDown
}
func (failing) Reset(context.Context, string) error { return errDown }

func newLimiter(t *testing.T, opts ...ratelimit.Option) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close(context.Background())) })
	return l
}

func TestNewOptions(t *testing.T) {
	bad := map[string]ratelimit.Option{
		"nil store":              ratelimit.WithStore(nil),
		"nil source":             ratelimit.WithLimitSource(nil),
		"invalid default":        ratelimit.WithDefaultLimit(ratelimit.Limit{}),
		"invalid anonymous":      ratelimit.WithAnonymousLimit(ratelimit.Limit{Rate: -1, Period: time.Second}),
		"bad proxy":              ratelimit.WithTrustedProxies("10.0.0.0/33"),
		"proxy host name":        ratelimit.WithTrustedProxies("proxy.example"),
		"mapped prefix too wide": ratelimit.WithTrustedProxies("::ffff:0:0/80"),
		"empty policy name":      ratelimit.WithPolicyName(""),
		"long policy name":       ratelimit.WithPolicyName(string(make([]byte, 65))),
		"control in policy":      ratelimit.WithPolicyName("a\nb"),
		"non-ASCII policy":       ratelimit.WithPolicyName("é"),
	}
	for name, opt := range bad {
		t.Run(name, func(t *testing.T) {
			l, err := ratelimit.New(opt)
			require.ErrorIs(t, err, ratelimit.ErrOption)
			require.Nil(t, l)
		})
	}
	l := newLimiter(t, nil, ratelimit.WithLogger(nil), ratelimit.WithTrustedProxies("10.0.0.1", " 192.168.0.0/16", "::ffff:10.1.0.0/112", "fd00::/8"))
	require.NotNil(t, l)
}

func TestLimiterDefaultLimit(t *testing.T) {
	l := newLimiter(t)
	lim, err := l.Limit(t.Context(), ratelimit.Key{UID: "u1"})
	require.NoError(t, err)
	require.Equal(t, ratelimit.Limit{Rate: ratelimit.DefaultRate, Period: ratelimit.DefaultPeriod}, lim)
	lim, err = l.Limit(t.Context(), ratelimit.Key{IP: netip.MustParseAddr("192.0.2.1")})
	require.NoError(t, err)
	require.Equal(t, ratelimit.Limit{Rate: ratelimit.DefaultRate, Period: ratelimit.DefaultPeriod}, lim, "anonymous defaults to the default limit")
}

func TestLimiterLimitSource(t *testing.T) {
	src := &source{limits: map[string]int{"u1/*": 3, "u2/*": 0, "u3/*": -1, "u4/*": 1 << 40, "u1/sms": 1}}
	anon := ratelimit.PerMinute(7)
	l := newLimiter(t, ratelimit.WithLimitSource(src), ratelimit.WithDefaultLimit(ratelimit.Per(10, time.Hour)), ratelimit.WithAnonymousLimit(anon))
	ctx := t.Context()

	lim, err := l.Limit(ctx, ratelimit.Key{Service: "*", UID: "u1"})
	require.NoError(t, err)
	require.Equal(t, ratelimit.Limit{Rate: 3, Period: time.Hour}, lim, "source's requests per the default period")
	lim, err = l.Limit(ctx, ratelimit.Key{Service: "sms", UID: "u1"})
	require.NoError(t, err)
	require.Equal(t, ratelimit.Limit{Rate: 1, Period: time.Hour}, lim, "per service")
	lim, err = l.Limit(ctx, ratelimit.Key{Service: "*", UID: "nobody"})
	require.NoError(t, err)
	require.Equal(t, ratelimit.Per(10, time.Hour), lim, "not in the source: default")
	before := src.calls
	lim, err = l.Limit(ctx, ratelimit.Key{Service: "*", IP: netip.MustParseAddr("192.0.2.1")})
	require.NoError(t, err)
	require.Equal(t, anon, lim, "anonymous: the anonymous limit")
	require.Equal(t, before, src.calls, "the source is not asked about anonymous keys")

	// u1: 3 per hour, then denied.
	for i := range 3 {
		res, err := l.Allow(ctx, ratelimit.Key{Service: "*", UID: "u1"}, 1)
		require.NoError(t, err)
		require.Equal(t, 1, res.Allowed, "request %d", i)
	}
	res, err := l.Allow(ctx, ratelimit.Key{Service: "*", UID: "u1"}, 1)
	require.NoError(t, err)
	require.Equal(t, 0, res.Allowed)

	// u2: 0 denies everything, without an error.
	res, err = l.Allow(ctx, ratelimit.Key{Service: "*", UID: "u2"}, 1)
	require.NoError(t, err)
	require.Equal(t, ratelimit.Result{Limit: ratelimit.Limit{Period: time.Hour}, RetryAfter: time.Hour, ResetAfter: time.Hour}, res)
	res, err = l.Allow(ctx, ratelimit.Key{Service: "*", UID: "u2"}, 0)
	require.NoError(t, err)
	require.Equal(t, ratelimit.Result{Limit: ratelimit.Limit{Period: time.Hour}}, res)
	_, err = l.Allow(ctx, ratelimit.Key{Service: "*", UID: "u2"}, -1)
	require.ErrorIs(t, err, ratelimit.ErrInvalidN)

	// u3, u4: a bad number from the source is an error, not a limit.
	_, err = l.Allow(ctx, ratelimit.Key{Service: "*", UID: "u3"}, 1)
	require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)
	_, err = l.Allow(ctx, ratelimit.Key{Service: "*", UID: "u4"}, 1)
	require.ErrorIs(t, err, ratelimit.ErrInvalidLimit)

	// A failing source fails the check.
	src.err = errDown
	_, err = l.Allow(ctx, ratelimit.Key{Service: "*", UID: "u1"}, 1)
	require.ErrorIs(t, err, errDown)
}

func TestLimiterAllowErrors(t *testing.T) {
	l := newLimiter(t, ratelimit.WithDefaultLimit(ratelimit.PerMinute(5)))
	ctx := t.Context()
	_, err := l.Allow(ctx, ratelimit.Key{Service: "*"}, 1)
	require.ErrorIs(t, err, ratelimit.ErrInvalidKey)
	require.ErrorIs(t, l.Reset(ctx, ratelimit.Key{}), ratelimit.ErrInvalidKey)
	_, err = l.Allow(ctx, ratelimit.Key{UID: "u"}, -1)
	require.ErrorIs(t, err, ratelimit.ErrInvalidN)
	_, err = l.Allow(ctx, ratelimit.Key{UID: "u"}, 6)
	require.ErrorIs(t, err, ratelimit.ErrInvalidN, "more than the burst can never pass")

	f := newLimiter(t, ratelimit.WithStore(failing{}))
	_, err = f.Allow(ctx, ratelimit.Key{UID: "u"}, 1)
	require.ErrorIs(t, err, errDown)
	require.ErrorIs(t, f.Reset(ctx, ratelimit.Key{UID: "u"}), errDown)
}

// TestLimiterKeys: services, principals and IPs never share a bucket by
// accident, and an IPv6 host cannot escape its limit by rotating addresses
// within its /64.
func TestLimiterKeys(t *testing.T) {
	l := newLimiter(t, ratelimit.WithDefaultLimit(ratelimit.PerHour(1)))
	ctx := t.Context()
	take := func(k ratelimit.Key) int {
		t.Helper()
		res, err := l.Allow(ctx, k, 1)
		require.NoError(t, err)
		return res.Allowed
	}
	ip := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	distinct := []ratelimit.Key{
		{Service: "*", UID: "u"},
		{Service: "login", UID: "u"},
		{Service: "a:u", UID: "b"}, // "a:u" + "b" must not meet "a" + "u:b"
		{Service: "a", UID: "u:b"},
		{Service: "a%3Au", UID: "b"},
		{Service: "*", UID: "192.0.2.1"},
		{Service: "*", IP: ip("192.0.2.1")},
		{Service: "*", IP: ip("192.0.2.2")},
		{Service: "*", IP: ip("2001:db8:1:2::1")},
		{Service: "*", IP: ip("2001:db8:1:3::1")},
		{Service: "", UID: "u"},
	}
	for _, k := range distinct {
		require.Equal(t, 1, take(k), "%+v", k)
	}
	same := []ratelimit.Key{
		{Service: "*", IP: ip("::ffff:192.0.2.1")},       // mapped = IPv4
		{Service: "*", IP: ip("2001:db8:1:2:ffff::9")},   // same /64
		{Service: "*", IP: ip("2001:db8:1:2::1%eth0")},   // zone dropped
		{Service: "*", UID: "u", IP: ip("198.51.100.1")}, // the UID wins
	}
	for _, k := range same {
		require.Equal(t, 0, take(k), "%+v", k)
	}
	require.NoError(t, l.Reset(ctx, ratelimit.Key{Service: "*", IP: ip("2001:db8:1:2::77")}))
	require.Equal(t, 1, take(ratelimit.Key{Service: "*", IP: ip("2001:db8:1:2::1")}), "Reset by another address of the /64")
}

func TestLimiterClose(t *testing.T) {
	l, err := ratelimit.New()
	require.NoError(t, err)
	require.NoError(t, l.Close(t.Context()))
	require.NoError(t, l.Close(t.Context()), "Close is idempotent")
	res, err := l.Allow(t.Context(), ratelimit.Key{UID: "u"}, 1)
	require.NoError(t, err, "a closed Limiter still works")
	require.Equal(t, 1, res.Allowed)

	// A store given with WithStore is not closed.
	s := ratelimit.NewMemoryStore()
	l, err = ratelimit.New(ratelimit.WithStore(s))
	require.NoError(t, err)
	require.NoError(t, l.Close(t.Context()))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	require.NoError(t, s.Close(ctx), "the store was still running")
}

// TestLimiterLimitChange: when the LimitSource changes a key's limit, the
// bucket keeps the time its events are worth, so the share of the burst
// already used carries over; Reset starts the key afresh.
func TestLimiterLimitChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &source{limits: map[string]int{"u/*": 2}}
		l, err := ratelimit.New(ratelimit.WithLimitSource(src), ratelimit.WithDefaultLimit(ratelimit.PerHour(10)))
		require.NoError(t, err)
		defer func() { require.NoError(t, l.Close(context.Background())) }()
		ctx := context.Background()
		key := ratelimit.Key{Service: "*", UID: "u"}
		take := func() ratelimit.Result {
			t.Helper()
			res, err := l.Allow(ctx, key, 1)
			require.NoError(t, err)
			return res
		}
		require.Equal(t, 1, take().Allowed)
		require.Equal(t, 1, take().Allowed) // 2 of 2: one hour's worth

		src.limits["u/*"] = 4 // raised: one event per 15 min, burst 4
		res := take()
		require.Equal(t, 0, res.Allowed, "all of the burst was used; all of the new one is")
		require.Equal(t, 15*time.Minute, res.RetryAfter)
		time.Sleep(15 * time.Minute)
		require.Equal(t, 1, take().Allowed, "refills at the new rate")

		src.limits["u/*"] = 1 // lowered: one per hour
		res = take()
		require.Equal(t, 0, res.Allowed)
		require.NoError(t, l.Reset(ctx, key))
		require.Equal(t, 1, take().Allowed, "Reset: a full burst of the new limit")
	})
}

// TestLimiterLimitSourceTTL: with WithLimitSourceTTL the source is asked
// once per (uid, service) and TTL; a changed limit applies after the TTL;
// errors are not kept.
func TestLimiterLimitSourceTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &source{limits: map[string]int{"u1/*": 3, "u1/sms": 1}}
		l, err := ratelimit.New(ratelimit.WithLimitSource(src), ratelimit.WithLimitSourceTTL(10*time.Second))
		require.NoError(t, err)
		defer func() { require.NoError(t, l.Close(context.Background())) }()
		ctx := t.Context()
		limit := func(service string) int {
			t.Helper()
			lim, err := l.Limit(ctx, ratelimit.Key{Service: service, UID: "u1"})
			require.NoError(t, err)
			return lim.Rate
		}
		require.Equal(t, 3, limit("*"))
		require.Equal(t, 3, limit("*"))
		require.Equal(t, 1, limit("sms"))
		require.Equal(t, 2, src.calls, "one call per (uid, service) within the TTL")

		src.limits["u1/*"] = 7
		time.Sleep(9 * time.Second)
		require.Equal(t, 3, limit("*"), "the kept answer, within the TTL")
		time.Sleep(2 * time.Second)
		require.Equal(t, 7, limit("*"), "the new limit, after the TTL")

		src.err = errDown
		time.Sleep(11 * time.Second)
		_, err = l.Limit(ctx, ratelimit.Key{Service: "*", UID: "u1"})
		require.ErrorIs(t, err, errDown)
		src.err = nil
		require.Equal(t, 7, limit("*"), "an error is not kept")
	})
	_, err := ratelimit.New(ratelimit.WithLimitSourceTTL(-time.Second))
	require.ErrorIs(t, err, ratelimit.ErrOption)
}
