package metrics_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/grants"
	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/metrics"
)

// grants.Grants is the Limits of a real service.
var _ metrics.Limits = (*grants.Grants)(nil)

// TestStoreLabelsAnyOrder: one label set is one series whatever the order
// the labels are given in (apicrud "name=value" strings or a map).
func TestStoreLabelsAnyOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, s metrics.Store) {
		ctx := t.Context()
		rec := newRecorder(t, s)
		for _, pairs := range [][]string{
			{"result=ok", "method=password"},
			{"method=password", "result=ok"},
		} {
			l, err := metrics.ParseLabels(pairs)
			require.NoError(t, err)
			require.NoError(t, rec.Store(ctx, "logins_total", l, 1))
		}
		require.NoError(t, rec.Inc(ctx, "logins_total", metrics.Labels{"method": "password", "result": "ok"}))
		require.NoError(t, rec.Inc(ctx, "logins_total", metrics.Labels{"result": "ok"})) // method="": another series
		require.NoError(t, rec.Store(ctx, "queue_depth", metrics.Labels{"queue": "mail"}, 7))
		require.NoError(t, rec.Store(ctx, "queue_depth", metrics.Labels{"queue": "mail"}, 4)) // a gauge is set

		got, err := s.Read(ctx, []string{"logins_total", "queue_depth"})
		require.NoError(t, err)
		require.Equal(t, map[string]float64{"method=password,result=ok": 3, "method=,result=ok": 1}, got[0])
		require.Equal(t, map[string]float64{"queue=mail": 4}, got[1])

		reg := registry(t, rec.SharedCollector())
		require.Equal(t, []sample{
			{`method="",result="ok"`, 1},
			{`method="password",result="ok"`, 3},
		}, samples(t, reg, "logins_total"))
		require.Equal(t, []sample{{`queue="mail"`, 4}}, samples(t, reg, "queue_depth"))
	})
}

func TestStoreErrors(t *testing.T) {
	ctx := t.Context()
	rec := newRecorder(t, memoryStore(t))
	for _, tc := range []struct {
		name   string
		metric string
		labels metrics.Labels
		value  float64
		want   error
	}{
		{"unknown metric", "nope_total", nil, 1, metrics.ErrUnknownMetric},
		{"undeclared label", "logins_total", metrics.Labels{"result": "ok", "uid": "u-1"}, 1, metrics.ErrLabel},
		{"label not UTF-8", "logins_total", metrics.Labels{"result": "\xff"}, 1, metrics.ErrLabel},
		{"label too long", "logins_total", metrics.Labels{"result": strings.Repeat("x", 1025)}, 1, metrics.ErrLabel},
		{"counter decreases", "logins_total", nil, -1, metrics.ErrValue},
		{"NaN", "queue_depth", nil, math.NaN(), metrics.ErrValue},
		{"Inf", "upload_bytes", nil, math.Inf(1), metrics.ErrValue},
		{"usage without uid", "sms_daily_total", nil, 1, metrics.ErrLabel},
		{"usage with another label", "sms_daily_total", metrics.Labels{"uid": "u-1", "x": "y"}, 1, metrics.ErrLabel},
		{"grant fraction", "sms_daily_total", metrics.Labels{"uid": "u-1"}, 0.5, metrics.ErrValue},
		{"grant zero", "sms_daily_total", metrics.Labels{"uid": "u-1"}, 0, metrics.ErrValue},
		{"grant huge", "sms_daily_total", metrics.Labels{"uid": "u-1"}, 1e12, metrics.ErrValue},
		{"bad uid", "sms_daily_total", metrics.Labels{"uid": "u 1"}, 1, metrics.ErrLabel},
		{"empty uid", "storage_bytes_total", metrics.Labels{"uid": ""}, 1, metrics.ErrLabel},
		{"metered negative", "storage_bytes_total", metrics.Labels{"uid": "u-1"}, -1, metrics.ErrValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rec.Store(ctx, tc.metric, tc.labels, tc.value)
			require.ErrorIs(t, err, tc.want)
		})
	}
	_, err := rec.Use(ctx, "logins_total", "u-1", 1)
	require.ErrorIs(t, err, metrics.ErrNotGrant)
	_, err = rec.Use(ctx, "nope_total", "u-1", 1)
	require.ErrorIs(t, err, metrics.ErrUnknownMetric)
	_, err = rec.Use(ctx, "sms_daily_total", "u-1", 0)
	require.ErrorIs(t, err, metrics.ErrValue)
	_, err = rec.Use(ctx, "sms_daily_total", strings.Repeat("u", 129), 1)
	require.ErrorIs(t, err, metrics.ErrLabel)
	_, err = rec.Check(ctx, "storage_bytes_total", "u-1")
	require.ErrorIs(t, err, metrics.ErrNotGrant)
	_, err = rec.Check(ctx, "sms_daily_total", "u\x00")
	require.ErrorIs(t, err, metrics.ErrLabel)
	_, err = rec.Meter(ctx, "sms_daily_total", "u-1", 1)
	require.ErrorIs(t, err, metrics.ErrValue)
	_, err = rec.Meter(ctx, "storage_bytes_total", "u-1", math.NaN())
	require.ErrorIs(t, err, metrics.ErrValue)
	_, err = rec.Find(ctx, "")
	require.ErrorIs(t, err, metrics.ErrLabel)

	// Nothing of the above was recorded.
	got, err := rec.Find(ctx, "u-1")
	require.NoError(t, err)
	require.Zero(t, got[0].Value)
	require.Zero(t, got[1].Value)
	require.Zero(t, count(t, registry(t, rec.SharedCollector()), "logins_total", "queue_depth", "upload_bytes"))
}

// TestUseUntilExceeded: each use takes credit; the use past the limit is
// refused with ErrGrantExceeded and takes nothing; another account has its
// own credit; Check reports what is left.
func TestUseUntilExceeded(t *testing.T) {
	eachStore(t, func(t *testing.T, s metrics.Store) {
		ctx := t.Context()
		rec := newRecorder(t, s)
		c, err := rec.Check(ctx, "sms_daily_total", "u-1")
		require.NoError(t, err)
		require.Equal(t, metrics.Credit{Limit: 3, Left: 3}, c, "no period running")

		for want := int64(2); want >= 0; want-- {
			c, err := rec.Use(ctx, "sms_daily_total", "u-1", 1)
			require.NoError(t, err)
			require.Equal(t, int64(3), c.Limit)
			require.Equal(t, want, c.Left)
			require.Greater(t, c.ResetIn, 23*time.Hour)
			require.LessOrEqual(t, c.ResetIn, 24*time.Hour)
		}
		c, err = rec.Use(ctx, "sms_daily_total", "u-1", 1)
		require.ErrorIs(t, err, metrics.ErrGrantExceeded)
		require.Equal(t, int64(0), c.Left)
		require.Greater(t, c.ResetIn, 23*time.Hour, "refused until the period ends")
		err = rec.Inc(ctx, "sms_daily_total", metrics.Labels{"uid": "u-1"})
		require.ErrorIs(t, err, metrics.ErrGrantExceeded, "Store on a grant is Use")

		c, err = rec.Check(ctx, "sms_daily_total", "u-1")
		require.NoError(t, err)
		require.Equal(t, int64(0), c.Left)
		require.Greater(t, c.ResetIn, 23*time.Hour)

		// u-2 has its own credit; a use of 2 units past the credit left
		// is refused whole.
		c, err = rec.Use(ctx, "sms_daily_total", "u-2", 2)
		require.NoError(t, err)
		require.Equal(t, int64(1), c.Left)
		c, err = rec.Use(ctx, "sms_daily_total", "u-2", 2)
		require.ErrorIs(t, err, metrics.ErrGrantExceeded)
		require.Equal(t, int64(1), c.Left, "nothing taken")
		c, err = rec.Check(ctx, "sms_daily_total", "u-2")
		require.NoError(t, err)
		require.Equal(t, int64(1), c.Left)

		reg := registry(t, rec.SharedCollector())
		require.Equal(t, []sample{{"", 5}}, samples(t, reg, "sms_daily_total"), "units used by all accounts")
		require.Equal(t, []sample{{"", 3}}, samples(t, reg, "sms_daily_refused_total"))
	})
}

// TestCheckFollowsTheLimit: a limit changed during a period moves the
// credit by the difference (units used stay used); a negative limit is no
// limit; a Limits error fails the use.
func TestCheckFollowsTheLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, s metrics.Store) {
		ctx := t.Context()
		l := newLimits("sms_daily_total", 3, "sms_daily_total/u-vip", -1)
		rec, err := metrics.New(testDefs(), metrics.WithStore(s), metrics.WithLimits(l))
		require.NoError(t, err)
		_, err = rec.Use(ctx, "sms_daily_total", "u-1", 2)
		require.NoError(t, err)
		l.set("sms_daily_total/u-1", 10)
		c, err := rec.Check(ctx, "sms_daily_total", "u-1")
		require.NoError(t, err)
		require.Equal(t, int64(10), c.Limit)
		require.Equal(t, int64(8), c.Left)
		l.set("sms_daily_total/u-1", 1)
		c, err = rec.Check(ctx, "sms_daily_total", "u-1")
		require.NoError(t, err)
		require.Equal(t, int64(0), c.Left, "never below zero")
		_, err = rec.Use(ctx, "sms_daily_total", "u-1", 1)
		require.ErrorIs(t, err, metrics.ErrGrantExceeded)

		for range 5 {
			c, err = rec.Use(ctx, "sms_daily_total", "u-vip", 100)
			require.NoError(t, err)
			require.Equal(t, metrics.Credit{Limit: -1, Left: -1}, c)
		}
		c, err = rec.Check(ctx, "sms_daily_total", "u-vip")
		require.NoError(t, err)
		require.Equal(t, metrics.Credit{Limit: -1, Left: -1}, c)

		_, err = rec.Use(ctx, "sms_daily_total", "u-2", 1)
		require.NoError(t, err, "the default still applies to others")
		delete(l.m, "sms_daily_total")
		_, err = rec.Use(ctx, "sms_daily_total", "u-other", 1)
		require.ErrorIs(t, err, errUnknownGrant)
		_, err = rec.Check(ctx, "sms_daily_total", "u-other")
		require.ErrorIs(t, err, errUnknownGrant)
		_, err = rec.Find(ctx, "u-other")
		require.ErrorIs(t, err, errUnknownGrant)

		got, err := s.Read(ctx, []string{"sms_daily_total"})
		require.NoError(t, err)
		require.Equal(t, map[string]float64{metrics.FieldUsed: 503, metrics.FieldRefused: 1}, got[0])
	})
}

// TestCreditResetsAfterPeriod (memory, fake clock): the credit comes back
// exactly when the period that the first use started ends, not at a
// calendar boundary.
func TestCreditResetsAfterPeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		rec := newRecorder(t, memoryStore(t))
		time.Sleep(5 * time.Hour) // the period is not calendar-aligned
		_, err := rec.Use(ctx, "sms_daily_total", "u-1", 3)
		require.NoError(t, err)
		time.Sleep(24*time.Hour - time.Nanosecond)
		c, err := rec.Use(ctx, "sms_daily_total", "u-1", 1)
		require.ErrorIs(t, err, metrics.ErrGrantExceeded)
		require.Equal(t, time.Nanosecond, c.ResetIn)
		time.Sleep(time.Nanosecond)
		c, err = rec.Check(ctx, "sms_daily_total", "u-1")
		require.NoError(t, err)
		require.Equal(t, metrics.Credit{Limit: 3, Left: 3}, c)
		c, err = rec.Use(ctx, "sms_daily_total", "u-1", 1)
		require.NoError(t, err)
		require.Equal(t, metrics.Credit{Limit: 3, Left: 2, ResetIn: 24 * time.Hour}, c, "a new period starts")
	})
}

// TestCreditResetsAfterPeriodRedis: the credit key expires in Redis (here
// after a shortened TTL) and the next use starts a new period.
func TestCreditResetsAfterPeriodRedis(t *testing.T) {
	s, rdb, prefix := redisStore(t)
	ctx := t.Context()
	rec := newRecorder(t, s)
	_, err := rec.Use(ctx, "sms_daily_total", "u-1", 3)
	require.NoError(t, err)
	_, err = rec.Use(ctx, "sms_daily_total", "u-1", 1)
	require.ErrorIs(t, err, metrics.ErrGrantExceeded)

	key := prefix + "{sms_daily_total}:g:u-1"
	ttl, err := rdb.PTTL(ctx, key).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, 23*time.Hour, "the key expires with the period")
	require.True(t, rdb.PExpire(ctx, key, 200*time.Millisecond).Val())
	require.Eventually(t, func() bool {
		c, err := rec.Check(ctx, "sms_daily_total", "u-1")
		return err == nil && c.Left == 3 && c.ResetIn == 0
	}, 5*time.Second, 20*time.Millisecond)
	c, err := rec.Use(ctx, "sms_daily_total", "u-1", 1)
	require.NoError(t, err)
	require.Equal(t, int64(2), c.Left)
	require.Greater(t, c.ResetIn, 23*time.Hour)
}

// TestIdleAccountsHoldNoState: no key for an account that never used a
// metric, nor for one refused on its first use; none after the period.
func TestIdleAccountsHoldNoState(t *testing.T) {
	s, rdb, prefix := redisStore(t)
	ctx := t.Context()
	rec := newRecorder(t, s)
	for range 10 {
		_, err := rec.Check(ctx, "sms_daily_total", "u-idle")
		require.NoError(t, err)
	}
	_, err := rec.Find(ctx, "u-idle")
	require.NoError(t, err)
	_, err = rec.Use(ctx, "sms_daily_total", "u-big", 4)
	require.ErrorIs(t, err, metrics.ErrGrantExceeded)
	keys, err := testenv.Keys(ctx, rdb, prefix)
	require.NoError(t, err)
	require.Equal(t, []string{prefix + "{sms_daily_total}"}, keys, "only the totals hash (refused: 1)")
}

// TestMeterAndFind (memory, fake clock from 2000-01-01 UTC): metered
// amounts accumulate per calendar period; Find reports the current and the
// retained periods, and the credit of each grant-style metric.
func TestMeterAndFind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		store := memoryStore(t)
		defs := append(testDefs(), metrics.Definition{Name: "api_bytes_total", Type: metrics.Metered, Period: metrics.Day, Retain: 2})
		rec, err := metrics.New(defs, metrics.WithStore(store), metrics.WithLimits(newLimits("sms_daily_total", 3)))
		require.NoError(t, err)
		jan := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		require.Equal(t, jan, time.Now().UTC(), "synctest's epoch")

		total, err := rec.Meter(ctx, "storage_bytes_total", "u-1", 100)
		require.NoError(t, err)
		require.Equal(t, 100.0, total)
		total, err = rec.Meter(ctx, "storage_bytes_total", "u-1", 50.5)
		require.NoError(t, err)
		require.Equal(t, 150.5, total)
		require.NoError(t, rec.Store(ctx, "storage_bytes_total", metrics.Labels{"uid": "u-2"}, 1000))
		_, err = rec.Meter(ctx, "api_bytes_total", "u-1", 0) // zero is allowed
		require.NoError(t, err)
		_, err = rec.Use(ctx, "sms_daily_total", "u-1", 3)
		require.NoError(t, err)

		time.Sleep(31*24*time.Hour + time.Hour) // 2000-02-01 01:00
		_, err = rec.Meter(ctx, "storage_bytes_total", "u-1", 7)
		require.NoError(t, err)
		for range 3 {
			_, err = rec.Meter(ctx, "api_bytes_total", "u-1", 10)
			require.NoError(t, err)
			time.Sleep(24 * time.Hour)
		}
		// Now 2000-02-04 01:00: api_bytes_total has 10 on the 1st, 2nd and 3rd.
		_, err = rec.Use(ctx, "sms_daily_total", "u-1", 1)
		require.NoError(t, err)
		now := time.Now().UTC()
		got, err := rec.Find(ctx, "u-1")
		require.NoError(t, err)
		day := func(d int) time.Time { return time.Date(2000, 2, d, 0, 0, 0, 0, time.UTC) }
		month := func(m time.Month) time.Time { return time.Date(2000, m, 1, 0, 0, 0, 0, time.UTC) }
		require.Equal(t, []metrics.Usage{
			{Name: "sms_daily_total", Type: metrics.Grant, Period: metrics.Day, End: now.Add(24 * time.Hour), Value: 1, Limit: 3, Left: 2},
			{Name: "storage_bytes_total", Type: metrics.Metered, Period: metrics.Month, Start: month(2), End: month(3), Value: 7},
			{Name: "storage_bytes_total", Type: metrics.Metered, Period: metrics.Month, Start: month(1), End: month(2), Value: 150.5},
			{Name: "api_bytes_total", Type: metrics.Metered, Period: metrics.Day, Start: day(4), End: day(5), Value: 0},
			{Name: "api_bytes_total", Type: metrics.Metered, Period: metrics.Day, Start: day(3), End: day(4), Value: 10},
			{Name: "api_bytes_total", Type: metrics.Metered, Period: metrics.Day, Start: day(2), End: day(3), Value: 10},
		}, got)

		// January is kept until the end of February (retain 1), then goes.
		jk := metrics.PeriodKey{Metric: "storage_bytes_total", Period: "2000-01"}
		time.Sleep(time.Until(month(3)) - time.Nanosecond)
		_, amounts, err := store.Usage(ctx, "u-1", nil, []metrics.PeriodKey{jk})
		require.NoError(t, err)
		require.Equal(t, []float64{150.5}, amounts)
		time.Sleep(time.Nanosecond)
		_, amounts, err = store.Usage(ctx, "u-1", nil, []metrics.PeriodKey{jk})
		require.NoError(t, err)
		require.Equal(t, []float64{0}, amounts)

		reg := registry(t, rec.SharedCollector())
		require.Equal(t, []sample{{"", 1157.5}}, samples(t, reg, "storage_bytes_total"), "total of all accounts and periods")
		require.Equal(t, []sample{{"", 30}}, samples(t, reg, "api_bytes_total"))
		require.NoError(t, rec.Close(ctx))
	})
}

// TestFindOnEachStore: Find reads what Use and Meter wrote, and an account
// that used nothing gets its full credit and zeros.
func TestFindOnEachStore(t *testing.T) {
	eachStore(t, func(t *testing.T, s metrics.Store) {
		ctx := t.Context()
		rec := newRecorder(t, s)
		_, err := rec.Use(ctx, "sms_daily_total", "u-1", 3)
		require.NoError(t, err)
		_, err = rec.Meter(ctx, "storage_bytes_total", "u-1", 12.25)
		require.NoError(t, err)
		got, err := rec.Find(ctx, "u-1")
		require.NoError(t, err)
		require.Len(t, got, 3)
		require.Equal(t, 3.0, got[0].Value)
		require.Equal(t, int64(0), got[0].Left)
		require.WithinDuration(t, time.Now().Add(24*time.Hour), got[0].End, time.Minute)
		require.Equal(t, 12.25, got[1].Value)
		require.Zero(t, got[2].Value, "previous month")

		got, err = rec.Find(ctx, "u-2")
		require.NoError(t, err)
		require.Equal(t, metrics.Usage{Name: "sms_daily_total", Type: metrics.Grant, Period: metrics.Day, Limit: 3, Left: 3}, got[0])
		require.Zero(t, got[1].Value)

		empty, err := metrics.New(nil, metrics.WithStore(s))
		require.NoError(t, err)
		got, err = empty.Find(ctx, "u-1")
		require.NoError(t, err)
		require.Equal(t, []metrics.Usage{}, got)
	})
}

// TestUsageJSON: a used-up credit shows "left": 0 (and a grant of 0
// "limit": 0); metered lines have neither.
func TestUsageJSON(t *testing.T) {
	for _, tc := range []struct {
		u    metrics.Usage
		want string
	}{
		{
			metrics.Usage{Name: "sms_daily_total", Type: metrics.Grant, Period: metrics.Day, Value: 3, Limit: 3, Left: 0},
			`{"name":"sms_daily_total","type":"grant","period":"day","value":3,"limit":3,"left":0}`,
		},
		{
			metrics.Usage{Name: "sms_daily_total", Type: metrics.Grant, Period: metrics.Day},
			`{"name":"sms_daily_total","type":"grant","period":"day","value":0,"limit":0,"left":0}`,
		},
		{
			metrics.Usage{Name: "b_total", Type: metrics.Metered, Period: metrics.Month, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Value: 1.5},
			`{"name":"b_total","type":"metered","period":"month","start":"2026-03-01T00:00:00Z","end":"2026-04-01T00:00:00Z","value":1.5}`,
		},
	} {
		b, err := json.Marshal(tc.u)
		require.NoError(t, err)
		require.JSONEq(t, tc.want, string(b))
		var back metrics.Usage
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, tc.u, back)
	}
	b, err := json.Marshal([]metrics.Usage{{Name: "x_total", Type: metrics.Grant, Limit: -1, Left: -1}})
	require.NoError(t, err)
	require.JSONEq(t, `[{"name":"x_total","type":"grant","period":"","value":0,"limit":-1,"left":-1}]`, string(b))
}

// TestNotify: the use that takes an account past the Notify percentage
// calls the WithNotify function, once per period.
func TestNotify(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var (
			mu      sync.Mutex
			notices []metrics.Notice
		)
		defs := []metrics.Definition{{Name: "email_daily_total", Type: metrics.Grant, Notify: 80}}
		rec, err := metrics.New(defs, metrics.WithLimits(newLimits("email_daily_total", 10)),
			metrics.WithNotify(func(_ context.Context, n metrics.Notice) {
				mu.Lock()
				defer mu.Unlock()
				notices = append(notices, n)
			}))
		require.NoError(t, err)
		defer rec.Close(ctx)
		var at []int
		for i := 1; i <= 12; i++ {
			before := len(notices)
			_, _ = rec.Use(ctx, "email_daily_total", "u-1", 1)
			if len(notices) > before {
				at = append(at, i)
			}
		}
		require.Equal(t, []int{9}, at, "the 9th of 10 takes the account past 80%")
		require.Equal(t, metrics.Notice{UID: "u-1", Metric: "email_daily_total", Percent: 80, Period: metrics.Day, Left: 1, Limit: 10}, notices[0])

		time.Sleep(24 * time.Hour) // a new period notifies again
		_, err = rec.Use(ctx, "email_daily_total", "u-1", 9)
		require.NoError(t, err)
		require.Len(t, notices, 2)
		require.Equal(t, int64(1), notices[1].Left)
	})
}

// TestDefinitionsIsACopy: changing what Definitions returns does not
// change the Recorder (it is immutable after New).
func TestDefinitionsIsACopy(t *testing.T) {
	ctx := t.Context()
	rec := newRecorder(t, memoryStore(t))
	defs := rec.Definitions()
	require.Equal(t, []string{"method", "result"}, defs[0].Labels, "sorted")
	require.Equal(t, []float64{100, 1000}, defs[2].Buckets)
	defs[0].Labels[0] = "uid"
	defs[2].Buckets[0] = 5000
	require.NoError(t, rec.Inc(ctx, "logins_total", metrics.Labels{"method": "totp"}))
	require.ErrorIs(t, rec.Inc(ctx, "logins_total", metrics.Labels{"uid": "u-1"}), metrics.ErrLabel)
	require.NoError(t, rec.Store(ctx, "upload_bytes", nil, 50))
	require.Equal(t, []string{"method", "result"}, rec.Definitions()[0].Labels)
	require.Equal(t, []float64{100, 1000}, rec.Definitions()[2].Buckets)
	require.Equal(t, []sample{{`method="totp",result=""`, 1}}, samples(t, registry(t, rec.SharedCollector()), "logins_total"))
}

// TestCloseOwnership: Close releases the store New created, never one
// passed with WithStore.
func TestCloseOwnership(t *testing.T) {
	ctx := t.Context()
	s := memoryStore(t)
	rec, err := metrics.New(testDefs(), metrics.WithStore(s), metrics.WithLimits(newLimits()))
	require.NoError(t, err)
	require.NoError(t, rec.Close(ctx))
	require.NoError(t, s.Add(ctx, "x_total", metrics.Delta{Field: "", Value: 1}), "still usable")

	own, err := metrics.New(nil)
	require.NoError(t, err)
	require.NoError(t, own.Close(ctx))
	require.NoError(t, own.Close(ctx), "idempotent")
}
