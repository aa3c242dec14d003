package session_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
	"github.com/apicrud-go/apicrud/session"
)

// The crypto package's Cipher is the Sealer hosts use.
var _ session.Sealer = (*apicrypto.Cipher)(nil)

func TestWithCryptoCipher(t *testing.T) {
	key := make([]byte, apicrypto.KeySize)
	_, _ = rand.Read(key)
	c, err := apicrypto.NewFromKey(key)
	require.NoError(t, err)
	store := session.NewMemoryStore()
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	m, err := session.New(c, testSecret, session.WithStore(store))
	require.NoError(t, err)
	s, tok, err := m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{Values: map[string]string{"k": "v"}})
	require.NoError(t, err)
	got, err := m.Validate(t.Context(), string(tok))
	require.NoError(t, err)
	require.Equal(t, "v", got.Values["k"])
	e, _, err := store.Get(t.Context(), "u-1", s.ID, 0, 0, nil)
	require.NoError(t, err)
	require.False(t, bytes.Contains(e.Data, []byte(`"user"`)), "stored sealed")
}
