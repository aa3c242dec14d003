package storetest_test

import (
	"testing"

	"github.com/apicrud-go/apicrud/session/login/passkey"
	"github.com/apicrud-go/apicrud/session/login/passkey/storetest"
)

// The test a Store implementation adds to its own package, here for the
// in-memory store (passkey's TestMemoryStore runs exactly this).
// Compile-only: Run needs the *testing.T of a running test.
func ExampleRun() {
	testMemoryStore := func(t *testing.T) { // func TestMemoryStore(t *testing.T)
		storetest.Run(t, func(t *testing.T) passkey.Store {
			return passkey.NewMemoryStore() // must be empty and isolated
		})
	}
	_ = testMemoryStore
}
