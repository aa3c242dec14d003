package grants_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/grants"
	"github.com/apicrud-go/apicrud/ratelimit"
)

// ratelimit's own interface, not a copy: a change of its signature breaks
// this build.
var _ ratelimit.LimitSource = (*grants.Grants)(nil)

// TestLimiterWithGrants wires Grants into a ratelimit.Limiter as its
// LimitSource: the "ratelimit" grant is the number of requests per the
// limiter's period, per account; a service grant overrides it for that
// service; Set changes the limit at the next check (it uncaches); a
// grant of 0 denies everything; a bad value fails the check closed.
func TestLimiterWithGrants(t *testing.T) {
	ctx := t.Context()
	g := newGrants(t) // ratelimit: 500, ratelimit_login_attempt: 5
	require.NoError(t, g.Set(ctx, "u-small", "ratelimit", "2", time.Time{}))
	require.NoError(t, g.Set(ctx, "u-blocked", "ratelimit", "0", time.Time{}))
	require.NoError(t, g.Set(ctx, "u-bad", "ratelimit", "lots", time.Time{}))
	l, err := ratelimit.New(ratelimit.WithLimitSource(g), ratelimit.WithDefaultLimit(ratelimit.PerHour(1000)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close(ctx) })

	passes := func(uid, service string, tries int) int {
		t.Helper()
		n := 0
		for range tries {
			res, err := l.Allow(ctx, ratelimit.Key{Service: service, UID: uid}, 1)
			require.NoError(t, err)
			n += res.Allowed
		}
		return n
	}
	lim, err := l.Limit(ctx, ratelimit.Key{Service: "*", UID: "u-1"})
	require.NoError(t, err)
	require.Equal(t, ratelimit.Limit{Rate: 500, Period: time.Hour}, lim, "the default grant, per the limiter's period")
	require.Equal(t, 2, passes("u-small", "*", 5), "the account's override")
	require.Equal(t, 5, passes("u-small", "login.attempt", 8), "the service grant, which u-small does not override")
	require.Zero(t, passes("u-blocked", "*", 3), "a grant of 0 denies every request")

	// Set uncaches: the next check already uses the new limit. (The bucket
	// keeps the time its two events took at the old rate, 1 h, which at
	// 4 per hour is the whole burst: GCRA carries the debt over.)
	require.NoError(t, g.Set(ctx, "u-small", "ratelimit", "4", time.Time{}))
	lim, err = l.Limit(ctx, ratelimit.Key{Service: "*", UID: "u-small"})
	require.NoError(t, err)
	require.Equal(t, ratelimit.Limit{Rate: 4, Period: time.Hour}, lim)
	require.NoError(t, l.Reset(ctx, ratelimit.Key{Service: "*", UID: "u-small"}))
	require.Equal(t, 4, passes("u-small", "*", 6))

	_, err = l.Allow(ctx, ratelimit.Key{Service: "*", UID: "u-bad"}, 1)
	require.ErrorIs(t, err, grants.ErrNotInteger, "a non-integer grant fails the check, never guesses")
}
