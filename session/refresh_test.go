package session_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

func TestRefreshOptions(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]session.Option{
		"negative access ttl": session.WithAccessTTL(-time.Second),
		"huge access ttl":     session.WithAccessTTL(400 * 24 * time.Hour),
		"tiny refresh ttl":    session.WithRefreshTTL(time.Millisecond),
		"negative grace":      session.WithRefreshGrace(-1),
		"long grace":          session.WithRefreshGrace(time.Hour),
		"empty role":          session.WithRoleLifetime("", time.Hour),
		"short role life":     session.WithRoleLifetime("admin", time.Millisecond),
		"nil role scopes":     session.WithRoleScopes(nil),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := session.New(newSealer(t), testSecret, opt)
			require.ErrorIs(t, err, session.ErrOption)
		})
	}
}

func TestScopeClaimAndRoleScopes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	policy := map[string][]string{"user": {"catalogue.read"}, "admin": {"catalogue.read", "catalogue.write"}}
	m, err := session.New(newSealer(t), testSecret,
		session.WithRoleScopes(func(roles []string) []string {
			var out []string
			for _, r := range roles {
				out = append(out, policy[r]...)
			}
			return out
		}),
		session.WithRoleLifetime("admin", 15*time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close(context.Background())) })

	s, tok, err := m.Create(ctx, "u-1", []string{"admin"}, session.Extra{})
	require.NoError(t, err)
	require.Equal(t, "catalogue.read catalogue.write", claimsOf(t, tok)["scope"], "a login token carries its role scopes")
	require.WithinDuration(t, time.Now().Add(15*time.Minute), s.Expires, time.Minute, "admin sessions get the shorter lifetime")
	v, err := m.Validate(ctx, string(tok))
	require.NoError(t, err)
	require.Equal(t, []string{"catalogue.read", "catalogue.write"}, v.Scopes)

	// A demotion takes the scope away from the token already issued.
	require.NoError(t, m.SetRoles(ctx, v, []string{"user"}))
	v, err = m.Validate(ctx, string(tok))
	require.NoError(t, err)
	require.Equal(t, []string{"catalogue.read"}, v.Scopes)

	u, utok, err := m.Create(ctx, "u-2", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(session.DefaultLifetime), u.Expires, time.Minute)
	require.Equal(t, "catalogue.read", claimsOf(t, utok)["scope"])

	// A session without scopes makes a token without a scope claim, and
	// a scope with a space is refused.
	_, none, err := m.Create(ctx, "u-3", []string{"guest"}, session.Extra{})
	require.NoError(t, err)
	require.NotContains(t, claimsOf(t, none), "scope")
	_, _, err = m.Create(ctx, "u-3", nil, session.Extra{Scopes: []string{"a b"}})
	require.ErrorIs(t, err, session.ErrInvalidValue)
}

func TestIssueTokens(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m, err := session.New(newSealer(t), testSecret, session.WithAccessTTL(time.Minute), session.WithRefreshTTL(2*time.Hour), session.WithLifetime(time.Hour))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close(context.Background())) })
	s, tok, err := m.Create(ctx, "u-1", []string{"user"}, session.Extra{Scopes: []string{"a", "b"}})
	require.NoError(t, err)
	tk, err := m.Issue(ctx, s, nil)
	require.NoError(t, err)
	_, err = m.Validate(ctx, string(tok))
	require.ErrorIs(t, err, session.ErrInvalidToken, "the login session ends: its token is replaced")
	c := claimsOf(t, tk.AccessToken)
	require.Equal(t, "a b", c["scope"])
	require.InDelta(t, float64(time.Now().Add(time.Minute).Unix()), c["exp"], 5, "the access token lives WithAccessTTL")
	require.Equal(t, time.Minute, tk.ExpiresIn)
	require.WithinDuration(t, s.Expires, tk.RefreshExpires, time.Second, "a refresh token never outlives its session")
	require.Equal(t, "[REDACTED]", tk.RefreshToken.String())
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "rt", tk.RefreshToken)
	require.NotContains(t, buf.String(), string(tk.RefreshToken))

	_, err = m.Issue(ctx, s, nil)
	require.ErrorIs(t, err, session.ErrInvalidToken, "a session is issued once")
	_, err = m.Issue(ctx, nil, nil)
	require.ErrorIs(t, err, session.ErrInvalidToken)
	// Renew ends the refresh token with the session it named.
	ns, ntok, err := m.Renew(ctx, tk.Session)
	require.NoError(t, err)
	_, err = m.Refresh(ctx, string(tk.RefreshToken), nil)
	require.ErrorIs(t, err, session.ErrInvalidGrant)
	_, err = m.Issue(ctx, ns, nil)
	require.NoError(t, err, "the renewed session can be issued again")
	_, err = m.Validate(ctx, string(ntok))
	require.ErrorIs(t, err, session.ErrInvalidToken)
}

func TestRefreshExpiryAndTimeouts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		m, err := session.New(newSealer(t), testSecret, session.WithAccessTTL(time.Minute),
			session.WithRefreshTTL(30*time.Minute), session.WithIdleTimeout(20*time.Minute, 0.1), session.WithLifetime(2*time.Hour))
		require.NoError(t, err)
		defer func() { require.NoError(t, m.Close(context.Background())) }()
		s, _, err := m.Create(ctx, "u-1", nil, session.Extra{})
		require.NoError(t, err)
		tk, err := m.Issue(ctx, s, nil)
		require.NoError(t, err)

		time.Sleep(2 * time.Minute)
		_, err = m.Validate(ctx, string(tk.AccessToken))
		require.ErrorIs(t, err, session.ErrInvalidToken, "the access token expired")
		tk, err = m.Refresh(ctx, string(tk.RefreshToken), nil)
		require.NoError(t, err, "the refresh token outlives it")

		// Refreshing every 15 minutes keeps the session until its
		// absolute deadline, never past it.
		for range 7 {
			time.Sleep(15 * time.Minute)
			tk, err = m.Refresh(ctx, string(tk.RefreshToken), nil)
			require.NoError(t, err)
		}
		require.LessOrEqual(t, tk.ExpiresIn, 6*time.Minute)
		time.Sleep(15 * time.Minute)
		_, err = m.Refresh(ctx, string(tk.RefreshToken), nil)
		require.ErrorIs(t, err, session.ErrInvalidGrant, "the absolute timeout holds")

		// An idle session ends, and its refresh token with it.
		s, _, err = m.Create(ctx, "u-2", nil, session.Extra{})
		require.NoError(t, err)
		tk, err = m.Issue(ctx, s, nil)
		require.NoError(t, err)
		time.Sleep(21 * time.Minute)
		_, err = m.Refresh(ctx, string(tk.RefreshToken), nil)
		require.ErrorIs(t, err, session.ErrInvalidGrant, "the idle timeout holds")
	})
}

func TestRefreshTokenExpires(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		m, err := session.New(newSealer(t), testSecret, session.WithRefreshTTL(10*time.Minute),
			session.WithIdleTimeout(0, 0.1), session.WithLifetime(2*time.Hour))
		require.NoError(t, err)
		defer func() { require.NoError(t, m.Close(context.Background())) }()
		s, _, err := m.Create(ctx, "u-1", nil, session.Extra{})
		require.NoError(t, err)
		tk, err := m.Issue(ctx, s, nil)
		require.NoError(t, err)
		time.Sleep(11 * time.Minute)
		_, err = m.Refresh(ctx, string(tk.RefreshToken), nil)
		require.ErrorIs(t, err, session.ErrInvalidGrant)
		_, err = m.Validate(ctx, string(tk.AccessToken))
		require.NoError(t, err, "without WithAccessTTL the access token lives with its session")
	})
}

func TestRefreshReuseIsLogged(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var buf bytes.Buffer
	m, err := session.New(newSealer(t), testSecret, session.WithRefreshGrace(0),
		session.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close(context.Background())) })
	s, _, err := m.Create(ctx, "u-9", nil, session.Extra{})
	require.NoError(t, err)
	t1, err := m.Issue(ctx, s, nil)
	require.NoError(t, err)
	t2, err := m.Refresh(ctx, string(t1.RefreshToken), nil)
	require.NoError(t, err)
	_, err = m.Refresh(ctx, string(t1.RefreshToken), nil)
	require.ErrorIs(t, err, session.ErrRefreshReused, "without grace the token rotated last is reuse too")
	_, err = m.Validate(ctx, string(t2.AccessToken))
	require.ErrorIs(t, err, session.ErrInvalidToken)
	require.Contains(t, buf.String(), `"msg":"session: rotated refresh token reused; session revoked"`)
	require.Contains(t, buf.String(), `"uid":"u-9"`)
	require.NotContains(t, buf.String(), string(t1.RefreshToken))
}

func TestRefreshHostileTokens(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m, err := session.New(newSealer(t), testSecret)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close(context.Background())) })
	s, tok, err := m.Create(ctx, "u-1", nil, session.Extra{})
	require.NoError(t, err)
	tk, err := m.Issue(ctx, s, nil)
	require.NoError(t, err)
	rt := string(tk.RefreshToken)
	parts := strings.Split(rt, ".")
	flip := func(s string) string {
		if s[0] == 'A' {
			return "B" + s[1:]
		}
		return "A" + s[1:]
	}
	b64 := base64.RawURLEncoding.EncodeToString
	for name, in := range map[string]string{
		"empty":              "",
		"access token":       string(tok),
		"two parts":          parts[0] + "." + parts[1],
		"four parts":         rt + ".x",
		"other secret":       parts[0] + "." + parts[1] + "." + flip(parts[2]),
		"other session":      parts[0] + "." + flip(parts[1]) + "." + parts[2],
		"other uid":          b64([]byte("u-2")) + "." + parts[1] + "." + parts[2],
		"uid with brace":     b64([]byte("u{1}")) + "." + parts[1] + "." + parts[2],
		"empty uid":          "." + parts[1] + "." + parts[2],
		"padded uid":         parts[0] + "=." + parts[1] + "." + parts[2],
		"short secret":       parts[0] + "." + parts[1] + "." + parts[2][:42],
		"long secret":        parts[0] + "." + parts[1] + "." + parts[2] + "A",
		"newline":            rt[:10] + "\n" + rt[10:],
		"space":              " " + rt,
		"non-canonical tail": parts[0] + "." + parts[1] + "." + parts[2][:42] + "B", // the last character's low bits set
		"oversized":          strings.Repeat("A", 600),
		"unicode":            parts[0] + "." + parts[1] + "." + "é" + parts[2][2:],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := m.Refresh(ctx, in, nil)
			require.ErrorIs(t, err, session.ErrInvalidGrant)
			require.NotErrorIs(t, err, session.ErrRefreshReused)
		})
	}
	for name, scopes := range map[string][]string{
		"space": {"a b"}, "empty": {""}, "tab": {"a\tb"}, "too long": {strings.Repeat("s", 200)},
	} {
		t.Run("scope "+name, func(t *testing.T) {
			_, err := m.Refresh(ctx, rt, scopes)
			require.ErrorIs(t, err, session.ErrInvalidScope)
		})
	}
	_, err = m.Refresh(ctx, rt, nil)
	require.NoError(t, err, "no hostile input consumed or revoked the token")
}

// TestRefreshGraceWindow: the token rotated last, sent again within the
// grace (5 s by default), is refused without ending the session (a
// client's two simultaneous refreshes); sent after it, it is taken for
// theft and ends the session.
func TestRefreshGraceWindow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	issue := func(t *testing.T, opts ...session.Option) (*session.Manager, session.Tokens, session.Tokens) {
		m, err := session.New(newSealer(t), testSecret, opts...)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, m.Close(context.Background())) })
		s, _, err := m.Create(ctx, "u-7", nil, session.Extra{})
		require.NoError(t, err)
		t1, err := m.Issue(ctx, s, nil)
		require.NoError(t, err)
		t2, err := m.Refresh(ctx, string(t1.RefreshToken), nil)
		require.NoError(t, err)
		return m, *t1, *t2
	}
	t.Run("default grace", func(t *testing.T) {
		m, t1, t2 := issue(t)
		_, err := m.Refresh(ctx, string(t1.RefreshToken), nil)
		require.ErrorIs(t, err, session.ErrInvalidGrant)
		require.NotErrorIs(t, err, session.ErrRefreshReused, "within the default grace: not theft")
		_, err = m.Validate(ctx, string(t2.AccessToken))
		require.NoError(t, err, "the session lives on")
	})
	t.Run("after the grace", func(t *testing.T) {
		const grace = 50 * time.Millisecond
		m, t1, t2 := issue(t, session.WithRefreshGrace(grace))
		time.Sleep(grace + 20*time.Millisecond)
		_, err := m.Refresh(ctx, string(t1.RefreshToken), nil)
		require.ErrorIs(t, err, session.ErrRefreshReused)
		_, err = m.Validate(ctx, string(t2.AccessToken))
		require.ErrorIs(t, err, session.ErrInvalidToken, "the session is revoked")
	})
}
