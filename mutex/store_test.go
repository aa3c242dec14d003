package mutex_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/mutex"
	"github.com/apicrud-go/apicrud/mutex/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) mutex.Store {
		s := mutex.NewMemoryStore()
		t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
		return s
	})
}
