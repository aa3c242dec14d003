package ratelimit_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/ratelimit"
	"github.com/apicrud-go/apicrud/ratelimit/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ratelimit.Store {
		s := ratelimit.NewMemoryStore()
		t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
		return s
	})
}
