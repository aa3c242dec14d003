package login_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// TestRestrictedUsernames: nobody registers a restricted name for
// themselves (it is treated as taken, revealing nothing), while an
// administrator may still create one; the list is configurable.
func TestRestrictedUsernames(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"admin", "Root", " support "} {
		uid, err := e.m.Register(t.Context(), login.NewAccount{Username: name, Identity: "r-" + randomSuffix(t) + "@example.com", Password: goodPassword})
		require.NoError(t, err, "the registrant learns nothing")
		all := e.notes.all()
		n := all[len(all)-1]
		require.Equal(t, uid, n.UID)
		require.NotEmpty(t, n.TakenUsername, "%s is treated as taken", name)
		require.ErrorIs(t, e.m.ConfirmUsername(t.Context(), n.Token, "administrator", goodPassword), login.ErrUsernameTaken)
		require.NoError(t, e.m.ConfirmUsername(t.Context(), n.Token, "someone-"+randomSuffix(t), goodPassword))
	}
	e.user(t, "admin", true) // CreateAccount is the administrators' way

	custom := newEnv(t, login.WithRestrictedUsernames("Boss"))
	_, err := custom.m.Register(t.Context(), login.NewAccount{Username: "boss", Identity: "b@example.com", Password: goodPassword})
	require.NoError(t, err)
	require.Equal(t, "boss", custom.notes.all()[0].TakenUsername)
	_, err = custom.m.Register(t.Context(), login.NewAccount{Username: "admin", Identity: "a@example.com", Password: goodPassword})
	require.NoError(t, err)
	require.Empty(t, custom.notes.all()[1].TakenUsername, "the list replaces the default")

	require.Contains(t, login.RestrictedUsernames(), "root")
	sm, err := session.New(newSealer(t), testSecret)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sm.Close(context.Background())) })
	_, err = login.New(sm, login.NewMemoryAccounts(), login.WithRestrictedUsernames("no spaces"))
	require.ErrorIs(t, err, login.ErrOption)
	require.ErrorIs(t, err, login.ErrInvalidUsername)
}

func randomSuffix(testing.TB) string { return strings.ToLower(rand.Text()[:8]) }
