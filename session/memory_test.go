package session_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/storetest"
)

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) session.Store {
		s := session.NewMemoryStore()
		// t.Context is already cancelled when cleanups run.
		t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
		return s
	})
}

func TestMemoryStoreRefresh(t *testing.T) {
	t.Parallel()
	storetest.RunRefresh(t, func(t *testing.T) session.Store {
		s := session.NewMemoryStore()
		t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
		return s
	})
}
