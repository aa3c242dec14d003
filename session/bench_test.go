package session_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
)

func benchStores(b *testing.B, fn func(b *testing.B, store session.Store)) {
	b.Run("memory", func(b *testing.B) {
		s := session.NewMemoryStore()
		b.Cleanup(func() { _ = s.Close(context.Background()) })
		fn(b, s)
	})
	b.Run("redis", func(b *testing.B) {
		rdb := testenv.Redis(b)
		fn(b, testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(testenv.Prefix(b, rdb)))))
	})
}

// BenchmarkValidate measures Manager.Validate of a live session, the cost
// every authenticated request pays: HS256 verification and claim checks,
// one store round trip (which refreshes the idle deadline when due),
// AES-256-GCM opening and JSON decoding. 64 users' sessions are validated
// from parallel goroutines.
func BenchmarkValidate(b *testing.B) {
	benchStores(b, func(b *testing.B, store session.Store) {
		m, err := session.New(newSealer(b), testSecret, session.WithStore(store))
		require.NoError(b, err)
		toks := make([]string, 64)
		for i := range toks {
			_, tok, err := m.Create(b.Context(), fmt.Sprintf("u-%d", i), []string{"user"}, session.Extra{Values: map[string]string{"username": "someone"}})
			require.NoError(b, err)
			toks[i] = string(tok)
		}
		var n atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := m.Validate(context.Background(), toks[n.Add(1)%64]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkCreate measures Manager.Create: 256 random bits, sealing, one
// store round trip and HS256 signing.
func BenchmarkCreate(b *testing.B) {
	benchStores(b, func(b *testing.B, store session.Store) {
		m, err := session.New(newSealer(b), testSecret, session.WithStore(store), session.WithLifetime(session.DefaultLifetime))
		require.NoError(b, err)
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := m.Create(b.Context(), "u-bench", []string{"user"}, session.Extra{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLogin measures a successful password Login at the default
// argon2id cost (19 MiB, 2 passes, 1 lane): lookup, two throttling
// round trips, the argon2id verification (which dominates), session
// creation and two forgiving round trips.
