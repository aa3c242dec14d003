package storetest_test

import (
	"context"
	"flag"
	"fmt"
	"testing"

	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/storetest"
)

// The test a Store implementation adds to its own package, here for the
// in-memory store (login's TestMemoryStore runs exactly this).
// The example runs it as go test would.
func ExampleRun() {
	testMemoryStore := func(t *testing.T) { // func TestMemoryStore(t *testing.T)
		storetest.Run(t, func(t *testing.T) login.Store {
			s := login.NewMemoryStore() // must hold no data seen by another call
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		})
	}
	fmt.Println("conforms:", runAsTest("TestMemoryStore", testMemoryStore))
	// Output: conforms: true
}

// The same for an AccountStore implementation (login's
// TestMemoryAccounts; package sqlaccounts runs it on SQLite, PostgreSQL
// and MySQL).
func ExampleRunAccounts() {
	testMemoryAccounts := func(t *testing.T) { // func TestMemoryAccounts(t *testing.T)
		storetest.RunAccounts(t, func(t *testing.T) login.AccountStore {
			return login.NewMemoryAccounts()
		})
	}
	fmt.Println("conforms:", runAsTest("TestMemoryAccounts", testMemoryAccounts))
	// Output: conforms: true
}

// runAsTest runs fn as the test name and reports whether it passed. Its
// output appears only on failure (-v is switched off while it runs, so
// that the example's output does not depend on it).
func runAsTest(name string, fn func(*testing.T)) bool {
	if v := flag.Lookup("test.v"); v != nil {
		old := v.Value.String()
		_ = v.Value.Set("false")
		defer func() { _ = v.Value.Set(old) }()
	}
	return testing.RunTests(func(_, _ string) (bool, error) { return true, nil },
		[]testing.InternalTest{{Name: name, F: fn}})
}
