package login_test

import (
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session/login"
)

// TestLoginAMR: every way of logging in records its RFC 8176 methods in
// Session.AMR, and the time of the login in AuthTime.
func TestLoginAMR(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, login.WithRememberDevice("dev", time.Hour))
		e.user(t, "alice", false)
		e.user(t, "bob", false)
		ip := from(t.Context(), "192.0.2.1")
		s, _, err := e.m.Login(ip, "bob", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, []string{"pwd"}, s.AMR, "password")
		require.Equal(t, time.Now().UnixMilli(), s.AuthTime.UnixMilli())

		secret, codes := e.enrolTOTP(t, "alice")
		p, _, err := e.m.Login(ip, "alice", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, []string{"pwd"}, p.AMR, "the pending session has the password only")
		time.Sleep(step)
		full, _, err := e.m.CompleteTOTP(ip, p, code(t, secret, time.Now()))
		require.NoError(t, err)
		require.Equal(t, []string{"pwd", "otp", "mfa"}, full.AMR, "password then TOTP")

		time.Sleep(step)
		one, _, err := e.m.Login(ip, "alice", goodPassword, code(t, secret, time.Now()))
		require.NoError(t, err)
		require.Equal(t, []string{"pwd", "otp", "mfa"}, one.AMR, "password and TOTP in one call")
		backup, _, err := e.m.Login(ip, "alice", goodPassword, codes[0])
		require.NoError(t, err)
		require.Equal(t, login.MethodBackupCode, backup.Method)
		require.Equal(t, []string{"pwd", "otp", "mfa"}, backup.AMR, "a backup code is a one-time password")

		ck, err := e.m.RememberDevice(t.Context(), one)
		require.NoError(t, err)
		c, _ := login.ClientFromContext(ip)
		c.Device = ck.Value
		dev, _, err := e.m.Login(login.NewClientContext(t.Context(), c), "alice", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, login.MethodDevice, dev.Method)
		require.Equal(t, []string{"pwd"}, dev.AMR, "a remembered device is no second factor")

		good := url.Values{"code": {"good"}}
		fed, _, err := e.m.LoginWith(ip, provider{id: login.Identity{Provider: "google", Email: "zoe@example.com", EmailVerified: true}}, good)
		require.NoError(t, err)
		require.Equal(t, []string{"fed"}, fed.AMR, "delegated login")
		pf, _, err := e.m.LoginWith(ip, provider{id: login.Identity{Provider: "google", Email: "alice@example.com", EmailVerified: true}}, good)
		require.NoError(t, err)
		require.Equal(t, []string{"fed"}, pf.AMR)
		time.Sleep(step)
		ff, _, err := e.m.CompleteTOTP(ip, pf, code(t, secret, time.Now()))
		require.NoError(t, err)
		require.Equal(t, []string{"fed", "otp", "mfa"}, ff.AMR, "delegated login then TOTP")
	})
}
