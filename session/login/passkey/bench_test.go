package passkey_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/passkey"
)

// BenchmarkLogin measures the server's work for one login, in memory:
// "passkey" is BeginLogin and FinishLogin (sealing and opening the state,
// the challenge's marker, parsing the assertion, an ES256 verification,
// the counter update and the new session; the authenticator's signing
// is not timed), "password" is login.Manager.Login with the default
// argon2id cost, "factor" the passkey as second factor (BeginFactor and
// FinishFactor, with the pending session's load and end; the password
// login before it is not timed).
func BenchmarkLogin(b *testing.B) {
	ctx := login.NewClientContext(context.Background(), login.Client{})
	sessions, err := session.New(testenv.NewSealer(b), testSecret)
	require.NoError(b, err)
	store := passkey.NewMemoryStore()
	logins, err := login.New(sessions, login.NewMemoryAccounts(), login.WithFactors(passkey.Factors(store)))
	require.NoError(b, err)
	b.Cleanup(func() { _ = logins.Close(ctx); _ = sessions.Close(ctx) })
	pk, err := passkey.New(logins, store, passkey.RelyingParty{ID: testRPID, Origins: []string{testOrigin}})
	require.NoError(b, err)
	f := &fixture{sessions: sessions, logins: logins, store: store, pk: pk}
	a := f.enrol(b, f.account(b, "bench"))
	f.account(b, "plain")

	b.Run("passkey", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ch, err := pk.BeginLogin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			resp := a.get(b, ch.Options)
			b.StartTimer()
			if _, _, err := pk.FinishLogin(ctx, ch.State, resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("password", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := logins.Login(ctx, "plain", testPassword, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("factor", func(b *testing.B) {
		b.ReportAllocs()
		a.uv = false
		for b.Loop() {
			b.StopTimer()
			pending, _, err := logins.Login(ctx, "bench", testPassword, "")
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			ch, err := pk.BeginFactor(ctx, pending)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			resp := a.get(b, ch.Options)
			b.StartTimer()
			if _, _, err := pk.FinishFactor(ctx, pending, ch.State, resp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
