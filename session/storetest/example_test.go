package storetest_test

import (
	"context"
	"testing"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/storetest"
)

// The test a Store implementation adds to its own package, here for the
// in-memory store (session's TestMemoryStore runs exactly this).
// Compile-only: Run needs the *testing.T of a running test.
func ExampleRun() {
	testMemoryStore := func(t *testing.T) { // func TestMemoryStore(t *testing.T)
		storetest.Run(t, func(t *testing.T) session.Store {
			s := session.NewMemoryStore() // must hold no data seen by another call
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		})
	}
	_ = testMemoryStore
}

// The same for an AccountStore implementation (session's
// TestMemoryAccounts; package sqlaccounts runs it on SQLite, PostgreSQL
// and MySQL). Compile-only.
func ExampleRunAccounts() {
	testMemoryAccounts := func(t *testing.T) { // func TestMemoryAccounts(t *testing.T)
		storetest.RunAccounts(t, func(t *testing.T) session.AccountStore {
			return session.NewMemoryAccounts()
		})
	}
	_ = testMemoryAccounts
}
