package storetest_test

import (
	"context"
	"testing"

	"github.com/apicrud-go/apicrud/idempotency"
	"github.com/apicrud-go/apicrud/idempotency/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) idempotency.Store {
		s := idempotency.NewMemoryStore()
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return s
	})
}

// Running the suite on a store of your own, in a test of its package.
func Example() {
	_ = func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) idempotency.Store {
			s := idempotency.NewMemoryStore() // your store, with keys of its own
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		})
	}
}
