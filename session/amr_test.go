package session_test

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

// TestAMRAndAuthTime: a session records how (AMR) and when (AuthTime) its
// user authenticated; Validate, Renew, Issue, Refresh and List keep both,
// and the tokens carry them as amr and auth_time.
func TestAMRAndAuthTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		ctx := t.Context()
		amr := []string{"pwd", "otp", "mfa"}
		s, tok, err := e.m.Create(ctx, "u-1", []string{"user"}, session.Extra{Method: "totp", AMR: amr})
		require.NoError(t, err)
		login := time.Now()
		require.Equal(t, amr, s.AMR)
		require.True(t, s.HasAMR("mfa"))
		require.False(t, s.HasAMR("hwk"))
		require.Equal(t, login.UnixMilli(), s.AuthTime.UnixMilli())
		c := claimsOf(t, tok)
		require.Equal(t, []any{"pwd", "otp", "mfa"}, c["amr"])
		require.InDelta(t, float64(login.Unix()), c["auth_time"], 0)

		time.Sleep(time.Minute)
		got, err := e.m.Validate(ctx, string(tok))
		require.NoError(t, err)
		require.Equal(t, amr, got.AMR)
		require.Equal(t, login.UnixMilli(), got.AuthTime.UnixMilli(), "validation is no authentication")

		ns, ntok, err := e.m.Renew(ctx, got)
		require.NoError(t, err)
		require.Equal(t, amr, ns.AMR)
		require.Equal(t, login.UnixMilli(), ns.AuthTime.UnixMilli(), "Renew keeps the authentication time")
		require.InDelta(t, float64(login.Unix()), claimsOf(t, ntok)["auth_time"], 0)

		tk, err := e.m.Issue(ctx, ns, nil)
		require.NoError(t, err)
		require.Equal(t, amr, tk.Session.AMR)
		require.Equal(t, login.UnixMilli(), tk.Session.AuthTime.UnixMilli())
		time.Sleep(time.Minute)
		tk2, err := e.m.Refresh(ctx, string(tk.RefreshToken), nil)
		require.NoError(t, err)
		require.Equal(t, amr, tk2.Session.AMR)
		require.Equal(t, login.UnixMilli(), tk2.Session.AuthTime.UnixMilli(), "a refresh is no authentication")
		c = claimsOf(t, tk2.AccessToken)
		require.Equal(t, []any{"pwd", "otp", "mfa"}, c["amr"])
		require.InDelta(t, float64(login.Unix()), c["auth_time"], 0)

		list, err := e.m.List(ctx, "u-1")
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, amr, list[0].AMR)
		require.Equal(t, login.UnixMilli(), list[0].AuthTime.UnixMilli())
	})
}

// TestAMRNoneAndBad: without AMR no amr claim is signed; bad AMR values are
// refused at Create.
func TestAMRNoneAndBad(t *testing.T) {
	e := newEnv(t)
	s, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	require.Nil(t, s.AMR)
	require.NotContains(t, claimsOf(t, tok), "amr")
	require.Equal(t, s.Created, s.AuthTime)
	for name, amr := range map[string][]string{
		"empty":      {""},
		"space":      {"p wd"},
		"too long":   {strings.Repeat("a", 129)},
		"too many":   make([]string, 17),
		"control":    {"pwd\x00"},
		"many valid": strings.Fields(strings.Repeat("pwd ", 17)),
	} {
		_, _, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{AMR: amr})
		require.ErrorIs(t, err, session.ErrInvalidValue, name)
	}
}
