package storetest_test

import (
	"context"
	"testing"

	"github.com/apicrud-go/apicrud/apikey"
	"github.com/apicrud-go/apicrud/apikey/storetest"
)

// The test a Store implementation adds to its own package, here for the
// in-memory store (apikey's TestMemoryStore runs exactly this).
// Compile-only: Run needs the *testing.T of a running test.
func ExampleRun() {
	testMemoryStore := func(t *testing.T) { // func TestMemoryStore(t *testing.T)
		storetest.Run(t, func(t *testing.T) apikey.Store {
			s := apikey.NewMemoryStore() // must be empty and isolated
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		})
	}
	_ = testMemoryStore
}
