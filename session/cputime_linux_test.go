//go:build linux

package session_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

// processCPU returns the CPU time the process has used (the garbage
// collector's included).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCPU measures Validate and Create on the memory store from one
// goroutine and reports the process's CPU time per call ("cpu-ns/op",
// garbage collection included) beside the wall time: on a shared, loaded
// machine the wall time per call measures the load as much as the code.
func BenchmarkCPU(b *testing.B) {
	for _, op := range []string{"validate", "create"} {
		b.Run(op, func(b *testing.B) {
			store := session.NewMemoryStore()
			b.Cleanup(func() { _ = store.Close(context.Background()) })
			m, err := session.New(newSealer(b), testSecret, session.WithStore(store))
			require.NoError(b, err)
			toks := make([]string, 64)
			for i := range toks {
				_, tok, err := m.Create(b.Context(), fmt.Sprintf("u-%d", i), []string{"user"}, session.Extra{Values: map[string]string{"username": "someone"}})
				require.NoError(b, err)
				toks[i] = string(tok)
			}
			ctx := context.Background()
			b.ReportAllocs()
			start := processCPU(b)
			i := 0
			for b.Loop() {
				i++
				if op == "validate" {
					_, err = m.Validate(ctx, toks[i%64])
				} else {
					_, _, err = m.Create(ctx, "u-bench", []string{"user"}, session.Extra{Values: map[string]string{"username": "someone"}})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
