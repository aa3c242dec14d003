package storetest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/idempotency"
)

// Run runs the suite. newStore must return a store whose keys no other call
// sees (for Redis: a unique prefix).
func Run(t *testing.T, newStore func(t *testing.T) idempotency.Store) {
	t.Run("BeginCompleteReplay", func(t *testing.T) {
		ctx, s := t.Context(), newStore(t)
		_, started, err := s.Begin(ctx, "k", "fp1", time.Minute)
		require.NoError(t, err)
		require.True(t, started)
		rec, started, err := s.Begin(ctx, "k", "fp1", time.Minute)
		require.NoError(t, err)
		require.False(t, started, "a second Begin finds the reservation")
		require.Equal(t, idempotency.Record{Fingerprint: "fp1"}, rec)
		done := idempotency.Record{Fingerprint: "fp1", Status: 201, Header: http.Header{"Location": {"/x/1"}}, Body: []byte("\x00{\"id\":\"1\"}\xff")}
		require.NoError(t, s.Complete(ctx, "k", done, time.Minute))
		rec, started, err = s.Begin(ctx, "k", "fp2", time.Minute)
		require.NoError(t, err)
		require.False(t, started)
		done.Done = true
		require.Equal(t, done, rec, "the answer round-trips exactly")
	})
	t.Run("CompleteOnlyOwnReservation", func(t *testing.T) {
		ctx, s := t.Context(), newStore(t)
		require.NoError(t, s.Complete(ctx, "absent", idempotency.Record{Fingerprint: "fp", Status: 200}, time.Minute))
		_, started, err := s.Begin(ctx, "absent", "fp", time.Minute)
		require.NoError(t, err)
		require.True(t, started, "Complete without a reservation stores nothing")
		require.NoError(t, s.Complete(ctx, "absent", idempotency.Record{Fingerprint: "other", Status: 200}, time.Minute))
		rec, _, err := s.Begin(ctx, "absent", "fp", time.Minute)
		require.NoError(t, err)
		require.False(t, rec.Done, "Complete for another fingerprint changes nothing")
	})
	t.Run("Abandon", func(t *testing.T) {
		ctx, s := t.Context(), newStore(t)
		_, _, err := s.Begin(ctx, "k", "fp", time.Minute)
		require.NoError(t, err)
		require.NoError(t, s.Abandon(ctx, "k", "other"))
		_, started, err := s.Begin(ctx, "k", "fp", time.Minute)
		require.NoError(t, err)
		require.False(t, started, "Abandon for another fingerprint changes nothing")
		require.NoError(t, s.Abandon(ctx, "k", "fp"))
		_, started, err = s.Begin(ctx, "k", "fp", time.Minute)
		require.NoError(t, err)
		require.True(t, started, "after Abandon a retry runs again")
		require.NoError(t, s.Complete(ctx, "k", idempotency.Record{Fingerprint: "fp", Status: 200}, time.Minute))
		require.NoError(t, s.Abandon(ctx, "k", "fp"))
		rec, _, err := s.Begin(ctx, "k", "fp", time.Minute)
		require.NoError(t, err)
		require.True(t, rec.Done, "a done record is not abandoned")
	})
	t.Run("Expiry", func(t *testing.T) {
		ctx, s := t.Context(), newStore(t)
		_, _, err := s.Begin(ctx, "lock", "fp", 100*time.Millisecond)
		require.NoError(t, err)
		_, _, err = s.Begin(ctx, "done", "fp", time.Minute)
		require.NoError(t, err)
		require.NoError(t, s.Complete(ctx, "done", idempotency.Record{Fingerprint: "fp", Status: 200}, 100*time.Millisecond))
		// Begin reserves the key again once it has expired, so each key
		// is polled until its first success only.
		for _, k := range []string{"lock", "done"} {
			require.Eventually(t, func() bool {
				_, started, err := s.Begin(context.Background(), k, "fp", time.Minute)
				return err == nil && started
			}, 5*time.Second, 20*time.Millisecond, "%s: a reservation ends with the lock TTL, an answer with its TTL", k)
		}
	})
	t.Run("OddKeys", func(t *testing.T) {
		ctx, s := t.Context(), newStore(t)
		keys := []string{"", "}", "}k", "{k}", "a\x00b", "ümlaut"}
		for i, k := range keys {
			_, started, err := s.Begin(ctx, k, fmt.Sprint(i), time.Minute)
			require.NoError(t, err, "key %q", k)
			require.True(t, started, "key %q", k)
		}
		for i, k := range keys {
			rec, _, err := s.Begin(ctx, k, "x", time.Minute)
			require.NoError(t, err, "key %q", k)
			require.Equal(t, fmt.Sprint(i), rec.Fingerprint, "key %q", k)
		}
	})
	t.Run("ConcurrentBeginOneStarts", func(t *testing.T) {
		ctx, s := t.Context(), newStore(t)
		var n atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				_, started, err := s.Begin(ctx, "k", "fp", time.Minute)
				if err == nil && started {
					n.Add(1)
				}
			})
		}
		wg.Wait()
		require.Equal(t, int32(1), n.Load())
	})
}
