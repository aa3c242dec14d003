package metrics_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/metrics"
)

// TestUsageCreditConcurrentUsers: 100 accounts use a grant-style metric at
// once, each from 4 goroutines (400 in all), 5 tries each, against a limit
// of 12: every account gets exactly 12 uses and 8 refusals, on one store
// shared the way instances share Redis. The totals exposed agree.
func TestUsageCreditConcurrentUsers(t *testing.T) {
	eachStore(t, func(t *testing.T, s metrics.Store) {
		const users, perUser, tries, limit = 100, 4, 5, 12
		ctx := t.Context()
		rec, err := metrics.New(testDefs(), metrics.WithStore(s), metrics.WithLimits(newLimits("sms_daily_total", limit)))
		require.NoError(t, err)
		granted := make([]atomic.Int64, users)
		refused := make([]atomic.Int64, users)
		var wg sync.WaitGroup
		errs := make(chan error, users*perUser)
		start := make(chan struct{})
		for u := range users {
			uid := fmt.Sprintf("u-%03d", u)
			for range perUser {
				wg.Go(func() {
					<-start
					for range tries {
						_, err := rec.Use(ctx, "sms_daily_total", uid, 1)
						switch {
						case err == nil:
							granted[u].Add(1)
						case errors.Is(err, metrics.ErrGrantExceeded):
							refused[u].Add(1)
						default:
							errs <- err
							return
						}
					}
				})
			}
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		for u := range users {
			require.Equal(t, int64(limit), granted[u].Load(), "u-%03d granted", u)
			require.Equal(t, int64(perUser*tries-limit), refused[u].Load(), "u-%03d refused", u)
			c, err := rec.Check(ctx, "sms_daily_total", fmt.Sprintf("u-%03d", u))
			require.NoError(t, err)
			require.Equal(t, int64(0), c.Left)
		}
		reg := registry(t, rec.SharedCollector())
		require.Equal(t, []sample{{"", users * limit}}, samples(t, reg, "sms_daily_total"))
		require.Equal(t, []sample{{"", users * (perUser*tries - limit)}}, samples(t, reg, "sms_daily_refused_total"))
	})
}

// TestOneAccountManyGoroutines: 100 goroutines race for one account's last
// units: exactly the limit passes.
func TestOneAccountManyGoroutines(t *testing.T) {
	eachStore(t, func(t *testing.T, s metrics.Store) {
		const workers, limit = 100, 37
		ctx := t.Context()
		rec, err := metrics.New(testDefs(), metrics.WithStore(s), metrics.WithLimits(newLimits("sms_daily_total", limit)))
		require.NoError(t, err)
		var ok atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range workers {
			wg.Go(func() {
				<-start
				if _, err := rec.Use(ctx, "sms_daily_total", "u-hot", 1); err == nil {
					ok.Add(1)
				} else if !errors.Is(err, metrics.ErrGrantExceeded) {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		require.Equal(t, int64(limit), ok.Load())
	})
}

// TestConcurrentStoreAndScrape: recording from many goroutines while
// scraping loses no increment (and is race-free under -race).
func TestConcurrentStoreAndScrape(t *testing.T) {
	eachStore(t, func(t *testing.T, s metrics.Store) {
		ctx := t.Context()
		rec := newRecorder(t, s)
		reg := registry(t, rec.SharedCollector(), rec.InstanceCollector())
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range 50 {
					l := metrics.Labels{"result": "ok", "method": fmt.Sprint(i % 5)}
					if err := rec.Inc(ctx, "logins_total", l); err != nil {
						t.Error(err)
						return
					}
					if err := rec.Store(ctx, "upload_bytes", nil, float64(i*w)); err != nil {
						t.Error(err)
						return
					}
					rec.ObserveRequest("/x", "GET", 200, 0)
				}
			})
		}
		wg.Go(func() {
			for range 10 {
				if _, err := reg.Gather(); err != nil {
					t.Error(err)
					return
				}
			}
		})
		wg.Wait()
		var total float64
		for _, smp := range samples(t, reg, "logins_total") {
			total += smp.value
		}
		require.Equal(t, 400.0, total)
		require.Equal(t, []sample{{"", 400}}, samples(t, reg, "upload_bytes"))
		require.Equal(t, []sample{{`code="200",method="GET",resource="/x"`, 400}}, samples(t, reg, metrics.APICallsName))
	})
}
