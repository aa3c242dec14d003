package session_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

func TestNewValidates(t *testing.T) {
	sealer := newSealer(t)
	for name, tc := range map[string]struct {
		sealer session.Sealer
		secret []byte
		opt    session.Option
	}{
		"nil sealer":        {nil, testSecret, nil},
		"short secret":      {sealer, []byte("short"), nil},
		"nil store":         {sealer, testSecret, session.WithStore(nil)},
		"empty issuer":      {sealer, testSecret, session.WithIssuer("")},
		"empty audience":    {sealer, testSecret, session.WithAudience("")},
		"lifetime zero":     {sealer, testSecret, session.WithLifetime(0)},
		"idle too short":    {sealer, testSecret, session.WithIdleTimeout(time.Millisecond, 0.1)},
		"refresh fraction":  {sealer, testSecret, session.WithIdleTimeout(time.Minute, 1)},
		"leeway too long":   {sealer, testSecret, session.WithLeeway(time.Hour)},
		"ed25519 short key": {sealer, testSecret, session.WithEdDSA(make([]byte, 3))},
		"rsa nil":           {sealer, testSecret, session.WithRS256(nil)},
		"cookie name":       {sealer, testSecret, session.WithCookie(http0("bad name"))},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := session.New(tc.sealer, tc.secret, tc.opt)
			require.ErrorIs(t, err, session.ErrOption)
			require.Nil(t, m)
		})
	}
}

func TestCreateValidate(t *testing.T) {
	e := newEnv(t)
	s, tok, err := e.m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{
		Scopes: []string{"catalogue.read"}, CNonce: "n1", Values: map[string]string{"lang": "fr"}, Method: "test",
	})
	require.NoError(t, err)
	require.Equal(t, "u-1", s.UID)
	require.NotEmpty(t, s.ID)
	require.NotContains(t, string(tok), s.ID, "the token must not contain the store key")
	require.WithinDuration(t, time.Now().Add(session.DefaultLifetime), s.Expires, 2*time.Second)

	got, err := e.m.Validate(t.Context(), string(tok))
	require.NoError(t, err)
	require.Equal(t, s.ID, got.ID)
	require.Equal(t, []string{"user"}, got.Roles)
	require.Equal(t, []string{"catalogue.read"}, got.Scopes)
	require.Equal(t, "n1", got.CNonce)
	require.Equal(t, "fr", got.Values["lang"])
	require.Equal(t, "test", got.Method)
	require.Equal(t, s.Expires.UnixMilli(), got.Expires.UnixMilli())
	require.True(t, got.HasRole("user"))
	require.False(t, got.HasRole("admin"))
}

func TestCreateRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	for name, tc := range map[string]struct {
		uid   string
		roles []string
		extra session.Extra
		want  error
	}{
		"empty uid":       {"", nil, session.Extra{}, session.ErrInvalidUID},
		"uid with brace":  {"u-{1}", nil, session.Extra{}, session.ErrInvalidUID},
		"uid with space":  {"u 1", nil, session.Extra{}, session.ErrInvalidUID},
		"uid too long":    {strings.Repeat("u", 129), nil, session.Extra{}, session.ErrInvalidUID},
		"empty role":      {"u-1", []string{""}, session.Extra{}, session.ErrInvalidValue},
		"huge value":      {"u-1", nil, session.Extra{Values: map[string]string{"k": strings.Repeat("v", 5000)}}, session.ErrInvalidValue},
		"empty value key": {"u-1", nil, session.Extra{Values: map[string]string{"": "v"}}, session.ErrInvalidValue},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := e.m.Create(t.Context(), tc.uid, tc.roles, tc.extra)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestUpdateSetRolesConcurrently(t *testing.T) {
	e := newEnv(t)
	s, tok, err := e.m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			cp := *s
			if err := e.m.Update(t.Context(), &cp, "k"+string(rune('a'+i)), "v"); err != nil {
				t.Errorf("update: %v", err)
			}
		})
	}
	wg.Wait()
	require.NoError(t, e.m.SetRoles(t.Context(), s, []string{"user", "list-x-member"}))
	got, err := e.m.Validate(t.Context(), string(tok))
	require.NoError(t, err)
	require.Len(t, got.Values, 8, "an update was lost")
	require.Equal(t, []string{"user", "list-x-member"}, got.Roles)
	require.NoError(t, e.m.Update(t.Context(), got, "ka", ""))
	require.NotContains(t, got.Values, "ka")
}

func TestDeleteIsImmediate(t *testing.T) {
	e := newEnv(t)
	s, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	require.NoError(t, e.m.Delete(t.Context(), s))
	_, err = e.m.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrInvalidToken)
	require.ErrorIs(t, err, session.ErrNoSession)
	require.NoError(t, e.m.Delete(t.Context(), s), "deleting twice is fine")
	require.ErrorIs(t, e.m.Update(t.Context(), s, "k", "v"), session.ErrNoSession)
}

func TestDeleteAllAndList(t *testing.T) {
	e := newEnv(t)
	var toks []session.Token
	for range 3 {
		_, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
		require.NoError(t, err)
		toks = append(toks, tok)
	}
	_, other, err := e.m.Create(t.Context(), "u-2", nil, session.Extra{})
	require.NoError(t, err)
	list, err := e.m.List(t.Context(), "u-1")
	require.NoError(t, err)
	require.Len(t, list, 3)
	for _, s := range list {
		require.Equal(t, "u-1", s.UID)
	}
	n, err := e.m.DeleteAll(t.Context(), "u-1")
	require.NoError(t, err)
	require.Equal(t, 3, n)
	for _, tok := range toks {
		_, err := e.m.Validate(t.Context(), string(tok))
		require.ErrorIs(t, err, session.ErrInvalidToken)
	}
	_, err = e.m.Validate(t.Context(), string(other))
	require.NoError(t, err, "another user's session must survive")
}

func TestRenew(t *testing.T) {
	e := newEnv(t)
	s, tok, err := e.m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{Values: map[string]string{"a": "b"}})
	require.NoError(t, err)
	ns, ntok, err := e.m.Renew(t.Context(), s)
	require.NoError(t, err)
	require.NotEqual(t, s.ID, ns.ID)
	require.Equal(t, s.Expires.UnixMilli(), ns.Expires.UnixMilli(), "renewal keeps the absolute deadline")
	require.Equal(t, s.Created.UnixMilli(), ns.Created.UnixMilli())
	_, err = e.m.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrInvalidToken, "the old token must stop working")
	got, err := e.m.Validate(t.Context(), string(ntok))
	require.NoError(t, err)
	require.Equal(t, "b", got.Values["a"])
}

func TestTimeouts(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, session.WithIdleTimeout(10*time.Minute, 0.1), session.WithLifetime(time.Hour))
			_, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
			require.NoError(t, err)
			// Activity every 9 minutes keeps it alive for 45 minutes.
			for range 5 {
				time.Sleep(9 * time.Minute)
				_, err := e.m.Validate(t.Context(), string(tok))
				require.NoError(t, err)
			}
			time.Sleep(10*time.Minute + time.Second)
			_, err = e.m.Validate(t.Context(), string(tok))
			require.ErrorIs(t, err, session.ErrNoSession, "idle for longer than the idle timeout")
		})
	})
	t.Run("absolute", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, session.WithIdleTimeout(10*time.Minute, 0.1), session.WithLifetime(time.Hour))
			_, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
			require.NoError(t, err)
			for range 6 {
				time.Sleep(9*time.Minute + 50*time.Second)
				_, err := e.m.Validate(t.Context(), string(tok))
				require.NoError(t, err)
			}
			time.Sleep(5 * time.Minute) // 64 minutes after login, active all along
			_, err = e.m.Validate(t.Context(), string(tok))
			require.ErrorIs(t, err, session.ErrInvalidToken, "past the absolute timeout")
		})
	})
}

// TestIdleRefreshWritesPerRequest measures the store writes the idle
// refresh costs: a client making one request per second for two hours
// against a 30-minute idle timeout, without and with the recording of
// last uses (which shares the write).
func TestIdleRefreshWritesPerRequest(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fraction float64
		lastUse  time.Duration
		maxRatio float64
		writes   int
	}{
		{"fraction 0.1 (default), no last use", 0.1, 0, 1.0 / 150, 2 * 3600 / 180},
		{"fraction 0.1, last use every minute (defaults)", 0.1, time.Minute, 1.0 / 60, 2 * 3600 / 60},
		{"fraction 0 (write per request)", 0, time.Minute, 1, 2 * 3600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := session.NewMemoryStore()
				t.Cleanup(func() { _ = mem.Close(context.Background()) })
				cs := &countingStore{Store: mem}
				m, err := session.New(newSealer(t), testSecret, session.WithStore(cs),
					session.WithIdleTimeout(30*time.Minute, tc.fraction), session.WithLastUse(tc.lastUse))
				require.NoError(t, err)
				_, tok, err := m.Create(t.Context(), "u-1", nil, session.Extra{})
				require.NoError(t, err)
				for range 2 * 3600 {
					time.Sleep(time.Second)
					_, err := m.Validate(t.Context(), string(tok))
					require.NoError(t, err)
				}
				ratio := float64(cs.refreshes) / float64(cs.gets)
				t.Logf("%d requests, %d refresh writes: %.4f writes per request", cs.gets, cs.refreshes, ratio)
				require.LessOrEqual(t, ratio, tc.maxRatio)
				require.Equal(t, tc.writes, cs.refreshes)
			})
		})
	}
}

func TestStoreDownFailsClosed(t *testing.T) {
	good := newEnv(t)
	_, tok, err := good.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	m, err := session.New(newSealer(t), testSecret, session.WithStore(failingStore{}))
	require.NoError(t, err)
	_, err = m.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrUnavailable)
	_, _, err = m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.ErrorIs(t, err, session.ErrUnavailable)
	_, err = m.DeleteAll(t.Context(), "u-1")
	require.ErrorIs(t, err, session.ErrUnavailable)
}

func TestCloseOnlyOwnStore(t *testing.T) {
	mem := session.NewMemoryStore()
	m, err := session.New(newSealer(t), testSecret, session.WithStore(mem))
	require.NoError(t, err)
	require.NoError(t, m.Close(t.Context()))
	// The given store still works: the Manager did not close it.
	require.NoError(t, mem.Create(t.Context(), "u", "i", []byte("x"), 0, time.Minute))
	require.NoError(t, mem.Close(t.Context()))

	m, err = session.New(newSealer(t), testSecret)
	require.NoError(t, err)
	require.NoError(t, m.Close(t.Context()))
}
