package login_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session/login"
)

// Password hashing is bounded (issue 15.3): with every slot taken, each
// operation that hashes waits at most the configured time, never past its
// context, and fails with ErrBusy having checked nothing; a busy login
// counts toward no lock.
func TestHashingIsBounded(t *testing.T) {
	e := newEnv(t, login.WithHashConcurrency(2, 50*time.Millisecond))
	alice := e.user(t, "alice", false)
	_, err := e.m.Register(t.Context(), login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: goodPassword})
	require.NoError(t, err)
	confirm := e.notes.last(t, login.NoticeConfirm)
	require.NoError(t, e.m.Confirm(t.Context(), confirm.Token, goodPassword))
	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "bob"))
	reset := e.notes.last(t, login.NoticeReset)
	ctx := from(t.Context(), attacker)

	release := login.HoldHashSlots(e.m.logins)
	for name, op := range map[string]func() error{
		"login": func() error { _, _, err := e.m.Login(ctx, "alice", goodPassword, ""); return err },
		"login of an unknown account": func() error {
			_, _, err := e.m.Login(ctx, "nobody", goodPassword, "")
			return err
		},
		"register": func() error {
			_, err := e.m.Register(t.Context(), login.NewAccount{Username: "carol", Identity: "carol@example.com", Password: goodPassword})
			return err
		},
		"create account": func() error {
			_, err := e.m.CreateAccount(t.Context(), login.NewAccount{Username: "dave", Password: goodPassword})
			return err
		},
		"reset":           func() error { return e.m.ResetPassword(t.Context(), reset.Token, "a brand new password") },
		"change password": func() error { return e.m.ChangePassword(ctx, alice.UID, goodPassword, "another new password") },
		"disable TOTP":    func() error { return e.m.DisableTOTP(ctx, alice.UID, goodPassword, "123456") },
	} {
		start := time.Now()
		err := op()
		require.ErrorIs(t, err, login.ErrBusy, name)
		require.Less(t, time.Since(start), time.Second, "%s: waits about 50 ms, not more", name)
	}
	// Never past the context.
	short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	e2 := newEnv(t, login.WithHashConcurrency(1, time.Minute))
	e2.user(t, "alice", false)
	release2 := login.HoldHashSlots(e2.m.logins)
	start := time.Now()
	_, _, err = e2.m.Login(short, "alice", goodPassword, "")
	require.ErrorIs(t, err, login.ErrBusy)
	require.Less(t, time.Since(start), 10*time.Second, "the context ends the wait")
	release2()

	// Busy logins checked nothing and count toward no lock.
	for range 20 {
		_, _, err := e.m.Login(ctx, "alice", bad, "")
		require.ErrorIs(t, err, login.ErrBusy)
	}
	release()
	_, _, err = e.m.Login(ctx, "alice", bad, "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials, "not locked: busy attempts are not failures")
	_, _, err = e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err)
	_, err = e.m.Register(t.Context(), login.NewAccount{Username: "carol", Identity: "carol@example.com", Password: goodPassword})
	require.NoError(t, err, "the reset link, the registration: all work once slots are free")
	require.NoError(t, e.m.ResetPassword(t.Context(), reset.Token, "a brand new password"))
}

// Correct logins arriving together all succeed within the bound: 30 at
// once to one account, with 2 slots.
func TestHashingBoundLetsCorrectLoginsThrough(t *testing.T) {
	e := newEnv(t, login.WithHashConcurrency(2, 0))
	e.user(t, "alice", false)
	ctx := from(t.Context(), victim)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range 30 {
		wg.Go(func() {
			_, _, err := e.m.Login(ctx, "alice", goodPassword, "")
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	require.Len(t, errs, 30)
}

func TestWithHashConcurrencyValidates(t *testing.T) {
	for _, o := range []login.Option{login.WithHashConcurrency(5000, 0), login.WithHashConcurrency(0, 2*time.Minute)} {
		_, err := newLogin(t, login.NewMemoryAccounts(), o)
		require.ErrorIs(t, err, login.ErrOption)
	}
	require.Positive(t, login.DefaultHashConcurrency())
	require.LessOrEqual(t, login.DefaultHashConcurrency(), 32)
}
