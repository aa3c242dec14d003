package gencachetest_test

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/internal/gencache"
	"github.com/apicrud-go/apicrud/internal/gencache/gencachetest"
)

// The test each generation cache runs, here for the in-memory one
// (gencache's TestMemory runs the same suite). The example runs it as go
// test would.
func ExampleRun() {
	testMemory := func(t *testing.T) { // func TestMemory(t *testing.T)
		gencachetest.Run(t, func(t *testing.T) gencachetest.Cache {
			s := gencache.NewMemory[byte](time.Minute) // must be empty and isolated
			t.Cleanup(func() { _ = s.Close(context.Background()) })
			return s
		})
	}
	fmt.Println("conforms:", runAsTest("TestMemory", testMemory))
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
