package storetest_test

import (
	"context"
	"flag"
	"fmt"
	"testing"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/storetest"
)

// The test a Store implementation adds to its own package, here for the
// in-memory store (session's TestMemoryStore runs exactly this).
// The example runs it as go test would.
func ExampleRun() {
	testMemoryStore := func(t *testing.T) { // func TestMemoryStore(t *testing.T)
		storetest.Run(t, func(t *testing.T) session.Store {
			s := session.NewMemoryStore() // must hold no data seen by another call
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		})
	}
	fmt.Println("conforms:", runAsTest("TestMemoryStore", testMemoryStore))
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
