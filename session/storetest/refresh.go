package storetest

import (
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session"
)

// RunRefresh runs the refresh-token cases over a session.Manager built on
// the store newStore returns: rotation, reuse detection that ends the
// session for every Manager sharing the store, scope narrowing, logout,
// and concurrent refreshes with one token, of which exactly one must win.
// The last case is what makes a store fit for refresh tokens: its Replace
// must be an atomic compare-and-swap. newStore follows Run's rules.
func RunRefresh(t *testing.T, newStore func(t *testing.T) session.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, a, b *session.Manager)
	}{
		{"Rotation", testRefreshRotation},
		{"ReuseRevokesSession", testRefreshReuse},
		{"Scopes", testRefreshScopes},
		{"LogoutEndsRefresh", testRefreshLogout},
		{"ConcurrentRefreshOneWins", testRefreshConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			sealer := testenv.NewSealer(t)
			secret := make([]byte, 32)
			_, _ = rand.Read(secret)
			mk := func() *session.Manager {
				m, err := session.New(sealer, secret, session.WithStore(st), session.WithAccessTTL(time.Minute), session.WithRefreshTTL(time.Hour))
				require.NoError(t, err)
				return m
			}
			tc.fn(t, mk(), mk()) // two instances of a service
		})
	}
}

// issue starts a session with scopes a b c and makes it refreshable.
func issue(t *testing.T, m *session.Manager, scopes ...string) *session.Tokens {
	t.Helper()
	s, _, err := m.Create(t.Context(), rnd("u"), []string{"user"}, session.Extra{Scopes: []string{"a", "b", "c"}})
	require.NoError(t, err)
	tk, err := m.Issue(t.Context(), s, scopes)
	require.NoError(t, err)
	return tk
}

func testRefreshRotation(t *testing.T, a, b *session.Manager) {
	ctx := t.Context()
	t1 := issue(t, a)
	require.Equal(t, []string{"a", "b", "c"}, t1.Scopes)
	require.Equal(t, time.Minute, t1.ExpiresIn)
	s, err := b.Validate(ctx, string(t1.AccessToken))
	require.NoError(t, err)
	require.Equal(t, t1.Session.ID, s.ID)
	t2, err := b.Refresh(ctx, string(t1.RefreshToken), nil)
	require.NoError(t, err)
	require.NotEqual(t, t1.RefreshToken, t2.RefreshToken)
	require.Equal(t, t1.Session.ID, t2.Session.ID, "a refresh keeps the session")
	_, err = a.Validate(ctx, string(t2.AccessToken))
	require.NoError(t, err)
	t3, err := a.Refresh(ctx, string(t2.RefreshToken), nil)
	require.NoError(t, err)
	_, err = b.Validate(ctx, string(t3.AccessToken))
	require.NoError(t, err)
}

func testRefreshReuse(t *testing.T, a, b *session.Manager) {
	ctx := t.Context()
	t1 := issue(t, a)
	t2, err := a.Refresh(ctx, string(t1.RefreshToken), nil)
	require.NoError(t, err)
	_, err = b.Refresh(ctx, string(t1.RefreshToken), nil)
	require.ErrorIs(t, err, session.ErrInvalidGrant)
	require.NotErrorIs(t, err, session.ErrRefreshReused, "the token rotated last has a grace period")
	_, err = a.Validate(ctx, string(t2.AccessToken))
	require.NoError(t, err)
	t3, err := a.Refresh(ctx, string(t2.RefreshToken), nil)
	require.NoError(t, err)
	// A token rotated before the last one comes back (on the other
	// instance): theft.
	_, err = b.Refresh(ctx, string(t1.RefreshToken), nil)
	require.ErrorIs(t, err, session.ErrRefreshReused)
	require.ErrorIs(t, err, session.ErrInvalidGrant)
	for _, m := range []*session.Manager{a, b} {
		for _, tk := range []*session.Tokens{t1, t2, t3} {
			_, err = m.Validate(ctx, string(tk.AccessToken))
			require.ErrorIs(t, err, session.ErrInvalidToken, "the session ends at once on every instance")
		}
	}
	_, err = a.Refresh(ctx, string(t3.RefreshToken), nil)
	require.ErrorIs(t, err, session.ErrInvalidGrant, "the whole family is revoked")
}

func testRefreshScopes(t *testing.T, a, b *session.Manager) {
	ctx := t.Context()
	s, _, err := a.Create(ctx, rnd("u"), []string{"user"}, session.Extra{Scopes: []string{"a", "b", "c"}})
	require.NoError(t, err)
	_, err = a.Issue(ctx, s, []string{"a", "z"})
	require.ErrorIs(t, err, session.ErrInvalidScope)
	t1, err := a.Issue(ctx, s, []string{"b", "a", "b"})
	require.NoError(t, err)
	require.Equal(t, []string{"b", "a"}, t1.Scopes)
	v, err := b.Validate(ctx, string(t1.AccessToken))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"a", "b"}, v.Scopes, "the access token carries the granted scopes")
	_, err = b.Refresh(ctx, string(t1.RefreshToken), []string{"c"})
	require.ErrorIs(t, err, session.ErrInvalidScope, "a refresh never widens the grant")
	t2, err := b.Refresh(ctx, string(t1.RefreshToken), []string{"a"})
	require.NoError(t, err, "a refused scope does not consume the refresh token")
	v, err = a.Validate(ctx, string(t2.AccessToken))
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, v.Scopes)
	t3, err := a.Refresh(ctx, string(t2.RefreshToken), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"b", "a"}, t3.Scopes, "no scope asked: the whole grant")
}

func testRefreshLogout(t *testing.T, a, b *session.Manager) {
	ctx := t.Context()
	t1 := issue(t, a)
	require.NoError(t, b.Delete(ctx, t1.Session))
	_, err := a.Refresh(ctx, string(t1.RefreshToken), nil)
	require.ErrorIs(t, err, session.ErrInvalidGrant)
	require.NotErrorIs(t, err, session.ErrRefreshReused)
}

func testRefreshConcurrent(t *testing.T, a, b *session.Manager) {
	ctx := t.Context()
	for range 2 {
		t1 := issue(t, a)
		const n = 6
		var wg sync.WaitGroup
		results := make(chan *session.Tokens, n)
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			m := a
			if i%2 == 1 {
				m = b
			}
			wg.Go(func() {
				<-start
				tk, err := m.Refresh(ctx, string(t1.RefreshToken), nil)
				if err != nil {
					errs <- err
					return
				}
				results <- tk
			})
		}
		close(start)
		wg.Wait()
		close(results)
		close(errs)
		require.Len(t, results, 1, "exactly one concurrent refresh wins")
		for err := range errs {
			require.ErrorIs(t, err, session.ErrInvalidGrant)
			require.NotErrorIs(t, err, session.ErrRefreshReused, "losing a race is not reuse")
		}
		won := <-results
		_, err := b.Validate(ctx, string(won.AccessToken))
		require.NoError(t, err, "the winner's session lives")
		_, err = a.Refresh(ctx, string(won.RefreshToken), nil)
		require.NoError(t, err)
	}
}
