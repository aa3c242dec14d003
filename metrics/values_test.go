package metrics_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/metrics"
)

// TestValues queries recorded values by name and label, on memory and on
// every Redis topology; an instance metric is read from the process.
func TestValues(t *testing.T) {
	eachStore(t, func(t *testing.T, s metrics.Store) {
		ctx := t.Context()
		defs := append(testDefs(), metrics.Definition{Name: "local_total", Type: metrics.Counter, Scope: metrics.Instance,
			Help: "Local.", Labels: []string{"kind"}})
		rec, err := metrics.New(defs, metrics.WithStore(s), metrics.WithLimits(newLimits("sms_daily_total", 3)))
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, rec.Close(t.Context())) })

		require.NoError(t, rec.Store(ctx, "logins_total", metrics.Labels{"result": "ok", "method": "password"}, 2))
		require.NoError(t, rec.Inc(ctx, "logins_total", metrics.Labels{"method": "password", "result": "ok"}))
		require.NoError(t, rec.Inc(ctx, "logins_total", metrics.Labels{"result": "fail,=|\\", "method": "totp"}))
		require.NoError(t, rec.Store(ctx, "queue_depth", metrics.Labels{"queue": "mail"}, 7))
		require.NoError(t, rec.Store(ctx, "upload_bytes", nil, 50))
		require.NoError(t, rec.Store(ctx, "upload_bytes", nil, 5000))
		for range 4 {
			_, _ = rec.Use(ctx, "sms_daily_total", "u-1", 1) // the fourth is refused
		}
		require.NoError(t, rec.Inc(ctx, "local_total", metrics.Labels{"kind": "a"}))

		all, err := rec.Values(ctx, metrics.ValueQuery{})
		require.NoError(t, err)
		names := map[string]int{}
		for _, v := range all {
			names[v.Name]++
		}
		require.Equal(t, map[string]int{"logins_total": 2, "queue_depth": 1, "upload_bytes": 1, "sms_daily_total": 1,
			"storage_bytes_total": 1, "local_total": 1}, names)

		got, err := rec.Values(ctx, metrics.ValueQuery{Name: "logins_total", Labels: metrics.Labels{"result": "ok"}})
		require.NoError(t, err)
		require.Equal(t, []metrics.Value{{Name: "logins_total", Type: metrics.Counter, Scope: metrics.Shared,
			Labels: metrics.Labels{"result": "ok", "method": "password"}, Value: 3}}, got)

		got, err = rec.Values(ctx, metrics.ValueQuery{Labels: metrics.Labels{"result": "fail,=|\\"}})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, "totp", got[0].Labels["method"])

		got, err = rec.Values(ctx, metrics.ValueQuery{Name: "upload_bytes"})
		require.NoError(t, err)
		require.Equal(t, []metrics.Value{{Name: "upload_bytes", Type: metrics.Histogram, Scope: metrics.Shared, Value: 2, Sum: 5050}}, got)

		got, err = rec.Values(ctx, metrics.ValueQuery{Name: "sms_daily_total"})
		require.NoError(t, err)
		require.Equal(t, []metrics.Value{{Name: "sms_daily_total", Type: metrics.Grant, Scope: metrics.Shared, Value: 3, Refused: 1}}, got)

		got, err = rec.Values(ctx, metrics.ValueQuery{Name: "local_total", Labels: metrics.Labels{"kind": "a"}})
		require.NoError(t, err)
		require.Equal(t, []metrics.Value{{Name: "local_total", Type: metrics.Counter, Scope: metrics.Instance,
			Labels: metrics.Labels{"kind": "a"}, Value: 1}}, got)

		// Nothing matches: an undeclared label, another value, a usage
		// metric asked for labels.
		for _, q := range []metrics.ValueQuery{
			{Labels: metrics.Labels{"nope": "x"}},
			{Name: "logins_total", Labels: metrics.Labels{"result": "none"}},
			{Name: "sms_daily_total", Labels: metrics.Labels{"uid": "u-1"}},
		} {
			got, err = rec.Values(ctx, q)
			require.NoError(t, err)
			require.Empty(t, got, "%+v", q)
		}
		_, err = rec.Values(ctx, metrics.ValueQuery{Name: "unknown"})
		require.ErrorIs(t, err, metrics.ErrUnknownMetric)
	})
}
