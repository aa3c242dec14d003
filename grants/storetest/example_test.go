package storetest_test

import (
	"context"
	"testing"

	"github.com/apicrud-go/apicrud/grants"
	"github.com/apicrud-go/apicrud/grants/storetest"
)

// The test a Store implementation adds to its own package, here for the
// in-memory store (grants' TestMemoryStore runs exactly this).
// Compile-only: Run needs the *testing.T of a running test.
func ExampleRun() {
	testMemoryStore := func(t *testing.T) { // func TestMemoryStore(t *testing.T)
		storetest.Run(t, func(t *testing.T) grants.Store {
			s := grants.NewMemoryStore() // must be empty and isolated
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		})
	}
	_ = testMemoryStore
}

// The same for a Cache implementation (grants' TestMemoryCache).
// Compile-only.
func ExampleRunCache() {
	testMemoryCache := func(t *testing.T) { // func TestMemoryCache(t *testing.T)
		storetest.RunCache(t, func(t *testing.T) grants.Cache {
			c := grants.NewMemoryCache()
			t.Cleanup(func() { _ = c.Close(context.Background()) })
			return c
		})
	}
	_ = testMemoryCache
}
