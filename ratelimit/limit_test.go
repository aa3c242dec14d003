package ratelimit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/ratelimit"
)

func TestLimitConstructors(t *testing.T) {
	require.Equal(t, ratelimit.Limit{Rate: 5, Period: time.Second, Burst: 5}, ratelimit.PerSecond(5))
	require.Equal(t, ratelimit.Limit{Rate: 5, Period: time.Minute, Burst: 5}, ratelimit.PerMinute(5))
	require.Equal(t, ratelimit.Limit{Rate: 5, Period: time.Hour, Burst: 5}, ratelimit.PerHour(5))
	require.Equal(t, ratelimit.Limit{Rate: 2, Period: 3 * time.Second, Burst: 2}, ratelimit.Per(2, 3*time.Second))
	require.True(t, ratelimit.Limit{}.IsZero())
	require.False(t, ratelimit.PerSecond(1).IsZero())
}

func TestLimitValidate(t *testing.T) {
	valid := []ratelimit.Limit{
		ratelimit.PerSecond(1),
		ratelimit.PerSecond(1_000_000),
		ratelimit.PerHour(100),
		{Rate: 10, Period: time.Second},           // burst 0 means rate
		{Rate: 10, Period: time.Second, Burst: 1}, // no burst at all
		{Rate: 1, Period: 30 * 365 * 24 * time.Hour},
		{Rate: 1, Period: time.Microsecond},
	}
	for _, l := range valid {
		require.NoError(t, l.Validate(), "%+v", l)
	}
	invalid := map[string]ratelimit.Limit{
		"zero":              {},
		"zero rate":         {Period: time.Second, Burst: 1},
		"negative rate":     {Rate: -1, Period: time.Second},
		"zero period":       {Rate: 1},
		"negative period":   {Rate: 1, Period: -time.Second},
		"negative burst":    {Rate: 1, Period: time.Second, Burst: -1},
		"sub-microsecond":   ratelimit.PerSecond(1_000_001),
		"period too long":   {Rate: 1, Period: 40 * 365 * 24 * time.Hour},
		"burst too large":   {Rate: 1, Period: time.Hour, Burst: 1 << 40},
		"huge rate and day": {Rate: 1 << 62, Period: 24 * time.Hour},
	}
	for name, l := range invalid {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, l.Validate(), ratelimit.ErrInvalidLimit)
		})
	}
}

func TestLimitString(t *testing.T) {
	cases := map[string]ratelimit.Limit{
		"3 req/s":              ratelimit.PerSecond(3),
		"100 req/min":          ratelimit.PerMinute(100),
		"100 req/h":            ratelimit.PerHour(100),
		"9 req/day":            ratelimit.Per(9, 24*time.Hour),
		"10 req/1.5s":          {Rate: 10, Period: 1500 * time.Millisecond},
		"10 req/s (burst 20)":  {Rate: 10, Period: time.Second, Burst: 20},
		"500 req/5m0s":         {Rate: 500, Period: 5 * time.Minute},
		"0 req/5m0s (burst 1)": {Period: 5 * time.Minute, Burst: 1},
	}
	for want, l := range cases {
		require.Equal(t, want, l.String())
	}
}

func TestLimitInterval(t *testing.T) {
	require.Equal(t, time.Second, ratelimit.PerSecond(1).Interval())
	require.Equal(t, 333333*time.Microsecond, ratelimit.PerSecond(3).Interval(), "truncated to a microsecond")
	require.Equal(t, 36*time.Second, ratelimit.PerHour(100).Interval())
	require.Zero(t, ratelimit.Limit{Period: time.Second}.Interval())
	require.Equal(t, 7, ratelimit.Limit{Rate: 7, Period: time.Second}.MaxBurst())
	require.Equal(t, 2, ratelimit.Limit{Rate: 7, Period: time.Second, Burst: 2}.MaxBurst())
}

func TestResultRefillAfter(t *testing.T) {
	l := ratelimit.Per(3, 3*time.Second) // one event per second
	cases := []struct {
		reset, want time.Duration
	}{
		{0, 0},
		{time.Nanosecond, time.Nanosecond},
		{500 * time.Millisecond, 500 * time.Millisecond},
		{time.Second, time.Second},
		{time.Second + time.Nanosecond, time.Nanosecond},
		{1500 * time.Millisecond, 500 * time.Millisecond},
		{2 * time.Second, time.Second},
		{3 * time.Second, time.Second},
	}
	for _, c := range cases {
		got := ratelimit.Result{Limit: l, ResetAfter: c.reset}.RefillAfter()
		require.Equal(t, c.want, got, "RefillAfter with ResetAfter %v", c.reset)
	}
	require.Equal(t, time.Minute, ratelimit.Result{Limit: ratelimit.Limit{Period: time.Minute}, ResetAfter: time.Minute}.RefillAfter(), "rate 0")
}
