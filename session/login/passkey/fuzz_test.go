package passkey_test

import (
	"errors"
	"testing"

	"github.com/apicrud-go/apicrud/session/login/passkey"
)

// FuzzFinishLogin gives FinishLogin and FinishRegistration any response
// body, with a fresh valid state, and any state: they never panic, and
// every failure is ErrInvalidPasskey or ErrCeremony (never a store error,
// never a session).
func FuzzFinishLogin(f *testing.F) {
	fx := newFixture(f)
	uid := fx.account(f, "fuzz")
	a := fx.enrol(f, uid)
	ch, err := fx.pk.BeginLogin(testCtx(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("", a.get(f, ch.Options))
	f.Add("", []byte(`{"id":"","rawId":"","type":"public-key","response":{}}`))
	f.Add("", []byte(`{"type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AAAA","signature":"","userHandle":"AA"}}`))
	f.Add(ch.State, []byte(`{}`))
	f.Add("AAAA", []byte(`null`))
	f.Fuzz(func(t *testing.T, state string, response []byte) {
		ctx := testCtx(t)
		if state == "" {
			c, err := fx.pk.BeginLogin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			state = c.State
		}
		s, _, err := fx.pk.FinishLogin(ctx, state, response)
		if err == nil || s != nil {
			t.Fatalf("FinishLogin accepted %q", response)
		}
		if !errors.Is(err, passkey.ErrInvalidPasskey) && !errors.Is(err, passkey.ErrCeremony) {
			t.Fatalf("FinishLogin: unexpected error %v", err)
		}
		rch, err := fx.pk.BeginRegistration(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fx.pk.FinishRegistration(ctx, uid, rch.State, response, "x"); !errors.Is(err, passkey.ErrInvalidPasskey) && !errors.Is(err, passkey.ErrExists) {
			t.Fatalf("FinishRegistration: unexpected error %v", err)
		}
	})
}
