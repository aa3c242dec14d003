package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/metrics"
)

// Run checks a metrics.Store. newStore must return an empty store,
// isolated from the stores of other calls.
func Run(t *testing.T, newStore func(t *testing.T) metrics.Store) {
	t.Run("AddSetRead", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		require.NoError(t, s.Add(ctx, "a_total", metrics.Delta{Field: "x=1", Value: 2}))
		require.NoError(t, s.Add(ctx, "a_total", metrics.Delta{Field: "x=1", Value: 0.5}))
		require.NoError(t, s.Add(ctx, "a_total", metrics.Delta{Field: "", Value: 1}))
		require.NoError(t, s.Add(ctx, "h", metrics.Delta{Field: "|le=1", Value: 1}, metrics.Delta{Field: "|sum", Value: 0.25}))
		require.NoError(t, s.Add(ctx, "h"))
		require.NoError(t, s.Set(ctx, "g", "k=v", 7))
		require.NoError(t, s.Set(ctx, "g", "k=v", -3.5))
		got, err := s.Read(ctx, []string{"a_total", "h", "g", "none"})
		require.NoError(t, err)
		require.Equal(t, []map[string]float64{
			{"x=1": 2.5, "": 1},
			{"|le=1": 1, "|sum": 0.25},
			{"k=v": -3.5},
			{},
		}, got)
		got, err = s.Read(ctx, nil)
		require.NoError(t, err)
		require.Empty(t, got)
	})
	t.Run("ConsumeCredit", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		req := metrics.ConsumeRequest{Metric: "sms_daily_total", UID: "u-1", Limit: 3, N: 1, Period: time.Hour}
		for want := int64(2); want >= 0; want-- {
			ok, st, err := s.Consume(ctx, req)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, want, st.Left)
			require.True(t, st.Started)
			require.Greater(t, st.TTL, 59*time.Minute)
			require.LessOrEqual(t, st.TTL, time.Hour)
		}
		ok, st, err := s.Consume(ctx, req)
		require.NoError(t, err)
		require.False(t, ok, "credit used up")
		require.Equal(t, int64(0), st.Left)

		// Another account and another metric have their own credit.
		ok, st, err = s.Consume(ctx, metrics.ConsumeRequest{Metric: "sms_daily_total", UID: "u-2", Limit: 3, N: 3, Period: time.Hour})
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, int64(0), st.Left)
		ok, _, err = s.Consume(ctx, metrics.ConsumeRequest{Metric: "email_daily_total", UID: "u-1", Limit: 3, N: 1, Period: time.Hour})
		require.NoError(t, err)
		require.True(t, ok)

		got, err := s.Read(ctx, []string{"sms_daily_total"})
		require.NoError(t, err)
		require.Equal(t, map[string]float64{metrics.FieldUsed: 6, metrics.FieldRefused: 1}, got[0])

		cs, _, err := s.Usage(ctx, "u-1", []string{"sms_daily_total", "email_daily_total", "video_daily_total"}, nil)
		require.NoError(t, err)
		require.Len(t, cs, 3)
		require.Equal(t, int64(0), cs[0].Left)
		require.Equal(t, int64(3), cs[0].Limit)
		require.True(t, cs[0].Started)
		require.Equal(t, int64(2), cs[1].Left)
		require.False(t, cs[2].Started, "never used")
	})
	t.Run("RefusedFirstUseCreatesNoState", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		for _, req := range []metrics.ConsumeRequest{
			{Metric: "m_total", UID: "u-1", Limit: 0, N: 1, Period: time.Hour},
			{Metric: "m_total", UID: "u-1", Limit: 2, N: 3, Period: time.Hour},
		} {
			ok, st, err := s.Consume(ctx, req)
			require.NoError(t, err)
			require.False(t, ok)
			require.False(t, st.Started)
			require.Equal(t, req.Limit, st.Left)
		}
		cs, _, err := s.Usage(ctx, "u-1", []string{"m_total"}, nil)
		require.NoError(t, err)
		require.False(t, cs[0].Started)
	})
	t.Run("LimitChangesMidPeriod", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		req := metrics.ConsumeRequest{Metric: "m_total", UID: "u-1", Limit: 10, N: 4, Period: time.Hour}
		_, st, err := s.Consume(ctx, req) // 4 used, 6 left
		require.NoError(t, err)
		require.Equal(t, int64(6), st.Left)
		req.Limit, req.N = 20, 1 // raised: 4 used stay used
		_, st, err = s.Consume(ctx, req)
		require.NoError(t, err)
		require.Equal(t, int64(15), st.Left)
		req.Limit = 3 // lowered below what is used: nothing left
		ok, st, err := s.Consume(ctx, req)
		require.NoError(t, err)
		require.False(t, ok)
		require.Equal(t, int64(0), st.Left)
		require.Greater(t, st.TTL, time.Duration(0), "the period keeps running")
	})
	t.Run("NoPeriod", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		ok, st, err := s.Consume(ctx, metrics.ConsumeRequest{Metric: "m_total", UID: "u-1", Limit: 5, N: 1})
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, time.Duration(0), st.TTL, "an indefinite credit never expires")
	})
	t.Run("PeriodExpires", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		req := metrics.ConsumeRequest{Metric: "m_total", UID: "u-1", Limit: 1, N: 1, Period: 300 * time.Millisecond}
		ok, _, err := s.Consume(ctx, req)
		require.NoError(t, err)
		require.True(t, ok)
		ok, _, err = s.Consume(ctx, req)
		require.NoError(t, err)
		require.False(t, ok)
		require.Eventually(t, func() bool {
			ok, _, err := s.Consume(ctx, req)
			return err == nil && ok
		}, 5*time.Second, 25*time.Millisecond, "the credit comes back when the period ends")
	})
	t.Run("Meter", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		k := metrics.PeriodKey{Metric: "bytes_total", Period: "2026-01"}
		old := metrics.PeriodKey{Metric: "bytes_total", Period: "2025-12"}
		total, err := s.Meter(ctx, k, "u-1", 100, time.Hour)
		require.NoError(t, err)
		require.Equal(t, 100.0, total)
		total, err = s.Meter(ctx, k, "u-1", 0.5, time.Hour)
		require.NoError(t, err)
		require.Equal(t, 100.5, total)
		_, err = s.Meter(ctx, k, "u-2", 7, time.Hour)
		require.NoError(t, err)
		_, err = s.Meter(ctx, old, "u-1", 3, 0)
		require.NoError(t, err)

		_, amounts, err := s.Usage(ctx, "u-1", nil, []metrics.PeriodKey{k, old, {Metric: "bytes_total", Period: "2025-11"}})
		require.NoError(t, err)
		require.Equal(t, []float64{100.5, 3, 0}, amounts)
		got, err := s.Read(ctx, []string{"bytes_total"})
		require.NoError(t, err)
		require.Equal(t, map[string]float64{metrics.FieldUsed: 110.5}, got[0])

		short := metrics.PeriodKey{Metric: "bytes_total", Period: "short"}
		_, err = s.Meter(ctx, short, "u-1", 1, 300*time.Millisecond)
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			_, a, err := s.Usage(ctx, "u-1", nil, []metrics.PeriodKey{short})
			return err == nil && a[0] == 0
		}, 5*time.Second, 25*time.Millisecond, "a period's amounts expire")
	})
	t.Run("ConcurrentConsumeIsExact", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		const workers, tries, limit = 16, 10, 50
		var granted atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				for range tries {
					ok, _, err := s.Consume(ctx, metrics.ConsumeRequest{Metric: "m_total", UID: "u-1", Limit: limit, N: 1, Period: time.Hour})
					if err != nil {
						errs <- err
						return
					}
					if ok {
						granted.Add(1)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Equal(t, int64(limit), granted.Load())
		got, err := s.Read(ctx, []string{"m_total"})
		require.NoError(t, err)
		require.Equal(t, map[string]float64{metrics.FieldUsed: limit, metrics.FieldRefused: workers*tries - limit}, got[0])
	})
	t.Run("ConcurrentAdd", func(t *testing.T) {
		ctx := t.Context()
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := range 8 {
			wg.Go(func() {
				for i := range 25 {
					err := s.Add(ctx, "c_total", metrics.Delta{Field: fmt.Sprintf("k=%d", i%3), Value: 1}, metrics.Delta{Field: "all", Value: 1})
					if err == nil && w == 0 {
						_, err = s.Read(ctx, []string{"c_total"})
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		got, err := s.Read(ctx, []string{"c_total"})
		require.NoError(t, err)
		require.Equal(t, map[string]float64{"k=0": 72, "k=1": 64, "k=2": 64, "all": 200}, got[0])
	})
}
