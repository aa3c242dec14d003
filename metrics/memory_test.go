package metrics_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/metrics"
	"github.com/apicrud-go/apicrud/metrics/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) metrics.Store { return memoryStore(t) })
}

// TestMemoryStoreExpiry: credits and periods expire (the sweeper then
// reclaims them, so idle accounts cost no memory); the totals never do
// (fake clock).
func TestMemoryStoreExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		s := metrics.NewMemoryStore()
		defer s.Close(ctx)
		for i := range 100 {
			_, _, err := s.Consume(ctx, metrics.ConsumeRequest{Metric: "m_total", UID: string(rune('a' + i%26)), Limit: 5, N: 1, Period: time.Hour})
			require.NoError(t, err)
		}
		_, err := s.Meter(ctx, metrics.PeriodKey{Metric: "b_total", Period: "p"}, "u-1", 1, time.Hour)
		require.NoError(t, err)
		time.Sleep(2 * time.Hour) // the sweeper runs every minute
		synctest.Wait()
		cs, amounts, err := s.Usage(ctx, "a", []string{"m_total"}, []metrics.PeriodKey{{Metric: "b_total", Period: "p"}})
		require.NoError(t, err)
		require.False(t, cs[0].Started)
		require.Equal(t, []float64{0}, amounts)
		got, err := s.Read(ctx, []string{"m_total", "b_total"})
		require.NoError(t, err)
		require.Equal(t, []map[string]float64{{metrics.FieldUsed: 100}, {metrics.FieldUsed: 1}}, got, "totals never expire")
	})
}

// TestMemoryStoreCancelledContext: a cancelled context is an error, and
// nothing is recorded.
func TestMemoryStoreCancelledContext(t *testing.T) {
	s := memoryStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, s.Add(ctx, "a_total", metrics.Delta{Field: "", Value: 1}), context.Canceled)
	require.ErrorIs(t, s.Set(ctx, "g", "", 1), context.Canceled)
	_, err := s.Read(ctx, []string{"a_total"})
	require.ErrorIs(t, err, context.Canceled)
	_, _, err = s.Consume(ctx, metrics.ConsumeRequest{Metric: "m_total", UID: "u", Limit: 1, N: 1})
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Meter(ctx, metrics.PeriodKey{Metric: "b_total", Period: "p"}, "u", 1, 0)
	require.ErrorIs(t, err, context.Canceled)
	_, _, err = s.Usage(ctx, "u", nil, nil)
	require.ErrorIs(t, err, context.Canceled)
	got, err := s.Read(t.Context(), []string{"a_total", "g", "m_total", "b_total"})
	require.NoError(t, err)
	require.Equal(t, []map[string]float64{{}, {}, {}, {}}, got)
}
