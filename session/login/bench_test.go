package login_test

import (
	"context"

	"github.com/apicrud-go/apicrud/internal/testenv"
	loginredis "github.com/apicrud-go/apicrud/session/login/redisstore"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"

	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

func benchStores(b *testing.B, fn func(b *testing.B, store session.Store, lstore login.Store)) {
	b.Run("memory", func(b *testing.B) {
		s, l := session.NewMemoryStore(), login.NewMemoryStore()
		b.Cleanup(func() { _ = s.Close(context.Background()); _ = l.Close(context.Background()) })
		fn(b, s, l)
	})
	b.Run("redis", func(b *testing.B) {
		rdb := testenv.Redis(b)
		prefix := testenv.Prefix(b, rdb)
		fn(b, testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix))), testenv.Must(loginredis.New(rdb, loginredis.WithPrefix(prefix))))
	})
}

// BenchmarkLogin measures a successful password Login at the default
// argon2id cost (19 MiB, 2 passes, 1 lane): lookup, two throttling
// round trips, the argon2id verification (which dominates), session
// creation and two forgiving round trips.
func BenchmarkLogin(b *testing.B) {
	benchStores(b, func(b *testing.B, store session.Store, lstore login.Store) {
		accounts := login.NewMemoryAccounts()
		m := newManagers(b, newSealer(b), accounts, session.WithStore(store), login.WithStore(lstore))
		_, err := m.CreateAccount(b.Context(), login.NewAccount{Username: "alice", Password: goodPassword})
		require.NoError(b, err)
		ctx := from(b.Context(), "192.0.2.1")
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := m.Login(ctx, "alice", goodPassword, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}
