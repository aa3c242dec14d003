package login_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

const step = 30 * time.Second

func TestTOTPEnrolAndLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		alice := e.user(t, "alice", false)
		ctx := from(t.Context(), "192.0.2.1")
		s, _, err := e.m.Login(ctx, "alice", goodPassword, "")
		require.NoError(t, err)

		enr, err := e.m.EnrollTOTP(t.Context(), s)
		require.NoError(t, err)
		require.Len(t, enr.Secret, 32, "160-bit base32 secret")
		require.True(t, strings.HasPrefix(enr.URI, "otpauth://totp/apicrud:alice@example.com?"), enr.URI)
		require.NotContains(t, fmt.Sprint(enr), enr.Secret)
		_, err = e.m.ConfirmTOTP(t.Context(), s, "000000")
		require.ErrorIs(t, err, login.ErrInvalidOTP)
		codes, err := e.m.ConfirmTOTP(t.Context(), s, code(t, enr.Secret, time.Now()))
		require.NoError(t, err)
		require.Len(t, codes, 10)
		_, err = e.m.EnrollTOTP(t.Context(), s)
		require.ErrorIs(t, err, login.ErrTOTPEnrolled)

		acc, _, _ := e.accounts.Get(t.Context(), alice.UID)
		require.NotEmpty(t, acc.TOTPSecret)
		require.NotContains(t, acc.TOTPSecret, enr.Secret, "the secret is stored sealed")
		for _, c := range codes {
			require.NotContains(t, strings.Join(acc.BackupCodes, ","), strings.ReplaceAll(c, "-", ""), "backup codes are stored as digests")
		}

		// Password alone: a pendingtotp session, short-lived.
		p, ptok, err := e.m.Login(ctx, "alice", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, []string{session.RolePendingTOTP}, p.Roles)
		require.WithinDuration(t, time.Now().Add(login.DefaultPendingTTL), p.Expires, time.Second)
		_, _, err = e.m.CompleteTOTP(ctx, p, "123456")
		require.ErrorIs(t, err, login.ErrInvalidOTP)

		time.Sleep(step) // the enrolment code's step is used up
		full, ftok, err := e.m.CompleteTOTP(ctx, p, code(t, enr.Secret, time.Now()))
		require.NoError(t, err)
		require.Equal(t, []string{"user"}, full.Roles)
		require.Equal(t, login.MethodTOTP, full.Method)
		_, err = e.m.Validate(t.Context(), string(ptok))
		require.ErrorIs(t, err, session.ErrInvalidToken, "the pendingtotp session ends when the second factor succeeds")
		_, err = e.m.Validate(t.Context(), string(ftok))
		require.NoError(t, err)
		_, _, err = e.m.CompleteTOTP(ctx, full, code(t, enr.Secret, time.Now()))
		require.ErrorIs(t, err, login.ErrNotPendingTOTP)

		// All in one call, at the next step.
		time.Sleep(step)
		s2, _, err := e.m.Login(ctx, "alice@example.com", goodPassword, code(t, enr.Secret, time.Now()))
		require.NoError(t, err)
		require.Equal(t, []string{"user"}, s2.Roles)
	})
}

func TestTOTPReplay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.user(t, "alice", false)
		secret, _ := e.enrolTOTP(t, "alice")
		// A second Manager sharing the store: another instance of the service.
		other := newManagers(t, e.sealer, e.accounts, session.WithStore(e.sstore), login.WithStore(e.store), login.WithArgon2(fastArgon()))
		ctx := from(t.Context(), "192.0.2.1")

		time.Sleep(step)
		c := code(t, secret, time.Now())
		_, _, err := e.m.Login(ctx, "alice", goodPassword, c)
		require.NoError(t, err)
		_, _, err = e.m.Login(ctx, "alice", goodPassword, c)
		require.ErrorIs(t, err, login.ErrInvalidOTP, "same code, same instance")
		_, _, err = other.Login(ctx, "alice", goodPassword, c)
		require.ErrorIs(t, err, login.ErrInvalidOTP, "same code, another instance")
		_, _, err = other.Login(ctx, "alice", goodPassword, code(t, secret, time.Now().Add(-step)))
		require.ErrorIs(t, err, login.ErrInvalidOTP, "an older code within the window")

		time.Sleep(step)
		_, _, err = other.Login(ctx, "alice", goodPassword, code(t, secret, time.Now()))
		require.NoError(t, err, "the next step's code works")
		_, _, err = e.m.Login(ctx, "alice", goodPassword, code(t, secret, time.Now().Add(-2*step)))
		require.ErrorIs(t, err, login.ErrInvalidOTP, "outside the skew window")
	})
}

func TestBackupCodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		alice := e.user(t, "alice", false)
		_, codes := e.enrolTOTP(t, "alice")
		ctx := from(t.Context(), "192.0.2.1")

		s, _, err := e.m.Login(ctx, "alice", goodPassword, codes[0])
		require.NoError(t, err)
		require.Equal(t, login.MethodBackupCode, s.Method)
		_, _, err = e.m.Login(ctx, "alice", goodPassword, codes[0])
		require.ErrorIs(t, err, login.ErrInvalidOTP, "a backup code works once")
		_, _, err = e.m.Login(ctx, "alice", goodPassword, strings.ToUpper(strings.ReplaceAll(codes[1], "-", " ")))
		require.NoError(t, err, "case and separators do not matter")
		acc, _, _ := e.accounts.Get(t.Context(), alice.UID)
		require.Len(t, acc.BackupCodes, 8)

		// Two logins racing with one code: one wins.
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, _, err := e.m.Login(ctx, "alice", goodPassword, codes[2])
				errs <- err
			}()
		}
		e1, e2 := <-errs, <-errs
		require.True(t, (e1 == nil) != (e2 == nil), "exactly one login may use the code: %v, %v", e1, e2)

		// Another account's code does not work here.
		e.user(t, "bob", false)
		_, bobCodes := e.enrolTOTP(t, "bob")
		_, _, err = e.m.Login(ctx, "alice", goodPassword, bobCodes[0])
		require.ErrorIs(t, err, login.ErrInvalidOTP)
	})
}

func TestOTPThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.user(t, "alice", false)
		e.enrolTOTP(t, "alice")
		// Rotate addresses: the OTP ladder is per account.
		for i := range 5 {
			p, _, err := e.m.Login(from(t.Context(), fmt.Sprintf("192.0.2.%d", 10+i)), "alice", goodPassword, "")
			require.NoError(t, err)
			_, _, err = e.m.CompleteTOTP(t.Context(), p, "000000")
			require.ErrorIs(t, err, login.ErrInvalidOTP)
		}
		p, _, err := e.m.Login(from(t.Context(), "192.0.2.99"), "alice", goodPassword, "")
		require.NoError(t, err)
		_, _, err = e.m.CompleteTOTP(t.Context(), p, "000000")
		require.ErrorIs(t, err, login.ErrInvalidOTP)
		_, _, err = e.m.CompleteTOTP(t.Context(), p, "000000")
		require.ErrorIs(t, err, login.ErrLocked, "six-digit codes cannot be brute-forced")
	})
}

func TestRememberDevice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, login.WithRememberDevice("dev", 24*time.Hour))
		alice := e.user(t, "alice", false)
		secret, _ := e.enrolTOTP(t, "alice")
		e.user(t, "bob", false)
		e.enrolTOTP(t, "bob")
		ip := "192.0.2.1"

		time.Sleep(step)
		s, _, err := e.m.Login(from(t.Context(), ip), "alice", goodPassword, code(t, secret, time.Now()))
		require.NoError(t, err)
		ck, err := e.m.RememberDevice(t.Context(), s)
		require.NoError(t, err)
		require.Equal(t, "dev", ck.Name)
		require.True(t, ck.HttpOnly)
		require.True(t, ck.Secure)
		require.Equal(t, 24*3600, ck.MaxAge)

		dev := func(v string) context.Context {
			c, _ := login.ClientFromContext(from(t.Context(), ip))
			c.Device = v
			return login.NewClientContext(t.Context(), c)
		}
		d, _, err := e.m.Login(dev(ck.Value), "alice", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, login.MethodDevice, d.Method)
		require.Equal(t, []string{"user"}, d.Roles)

		for name, v := range map[string]string{
			"tampered": ck.Value[:len(ck.Value)-2] + "AA",
			"garbage":  "x.y",
			"empty":    "",
		} {
			p, _, err := e.m.Login(dev(v), "alice", goodPassword, "")
			require.NoError(t, err, name)
			require.Equal(t, []string{session.RolePendingTOTP}, p.Roles, name)
		}
		p, _, err := e.m.Login(dev(ck.Value), "bob", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, []string{session.RolePendingTOTP}, p.Roles, "alice's cookie does not bypass bob's TOTP")

		// A password-only session cannot mint a cookie.
		_, err = e.m.RememberDevice(t.Context(), d)
		require.ErrorIs(t, err, login.ErrInvalidCredentials)

		// A password change voids the cookie.
		require.NoError(t, e.m.ChangePassword(t.Context(), alice.UID, goodPassword, "another fine passphrase"))
		p, _, err = e.m.Login(dev(ck.Value), "alice", "another fine passphrase", "")
		require.NoError(t, err)
		require.Equal(t, []string{session.RolePendingTOTP}, p.Roles)
	})
}

func TestRememberDeviceExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, login.WithRememberDevice("dev", time.Hour))
		e.user(t, "alice", false)
		secret, _ := e.enrolTOTP(t, "alice")
		time.Sleep(step)
		s, _, err := e.m.Login(from(t.Context(), "192.0.2.1"), "alice", goodPassword, code(t, secret, time.Now()))
		require.NoError(t, err)
		ck, err := e.m.RememberDevice(t.Context(), s)
		require.NoError(t, err)
		time.Sleep(time.Hour)
		ctx := login.NewClientContext(t.Context(), login.Client{Device: ck.Value})
		p, _, err := e.m.Login(ctx, "alice", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, []string{session.RolePendingTOTP}, p.Roles)
	})
}

func TestDisableTOTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		alice := e.user(t, "alice", false)
		secret, codes := e.enrolTOTP(t, "alice")
		time.Sleep(step)
		require.ErrorIs(t, e.m.DisableTOTP(t.Context(), alice.UID, "wrong password!", code(t, secret, time.Now())), login.ErrInvalidCredentials)
		require.ErrorIs(t, e.m.DisableTOTP(t.Context(), alice.UID, goodPassword, "000000"), login.ErrInvalidOTP)
		require.NoError(t, e.m.DisableTOTP(t.Context(), alice.UID, goodPassword, codes[0]))
		s, _, err := e.m.Login(from(t.Context(), "192.0.2.1"), "alice", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, []string{"user"}, s.Roles)
		require.ErrorIs(t, e.m.DisableTOTP(t.Context(), alice.UID, goodPassword, "000000"), login.ErrTOTPNotEnrolled)
	})
}

func TestEnrolRequiresFullSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.user(t, "alice", false)
		e.enrolTOTP(t, "alice")
		p, _, err := e.m.Login(from(t.Context(), "192.0.2.1"), "alice", goodPassword, "")
		require.NoError(t, err)
		_, err = e.m.EnrollTOTP(t.Context(), p)
		require.ErrorIs(t, err, login.ErrInvalidCredentials, "a pendingtotp session cannot enrol")

		e.user(t, "bob", false)
		b, _, err := e.m.Login(from(t.Context(), "192.0.2.1"), "bob", goodPassword, "")
		require.NoError(t, err)
		_, err = e.m.ConfirmTOTP(t.Context(), b, "123456")
		require.ErrorIs(t, err, login.ErrTOTPNotEnrolled, "confirm without enrol")
	})
}

func TestTOTPForDelegatedLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.user(t, "alice", false)
		e.enrolTOTP(t, "alice")
		p := provider{id: login.Identity{Provider: "google", Email: "alice@example.com", EmailVerified: true}}
		s, _, err := e.m.LoginWith(from(t.Context(), "192.0.2.1"), p, url.Values{"code": {"good"}})
		require.NoError(t, err)
		require.Equal(t, []string{session.RolePendingTOTP}, s.Roles, "a delegated login still needs the second factor")
	})
}

func TestEnrollmentRedacts(t *testing.T) {
	enr := login.TOTPEnrollment{Secret: "JBSWY3DPEHPK3PXP", URI: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "enrolment", enr)
	require.NotContains(t, b.String(), "JBSWY3DPEHPK3PXP")
	require.NotContains(t, fmt.Sprintf("%v %s", enr, enr), "JBSWY3DPEHPK3PXP")
}
