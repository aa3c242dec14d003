// Command apicrud is the command line of apicrud for Go. Its policy
// commands check, test and explain access-control policy files
// (package accesscontrol):
//
//	apicrud policy lint [-suite SUITE]... FILE...
//	apicrud policy test [-coverage] [-threshold PCT] SUITE...
//	apicrud policy explain -policy FILE -resource R -action A [-uid U] [-roles a,b] [-scopes s]
//	                       [-id ID] [-owner U] [-privacy P] [-parent ID] [-field name=value]... [-now T]
//	apicrud policy sql -policy FILE -dialect postgres|mysql|sqlite -resource R [-action A]
//	                   [-uid U] [-roles a,b] [-scopes s] [-column attr=column]... [-now T]
//
// lint prints load errors as file:line: entry: message, rules shadowed by
// others, fields no condition reads and, with -suite, rules no case of the
// suites exercises (unused), and exits 1 when it prints anything. test runs suite files (see package accesscontrol/policytest),
// each list also through the SQL filter on an in-memory SQLite database,
// and exits 1 on a failure or, with -threshold, when fewer rules than
// that percentage were exercised. explain prints the decision and every
// rule considered, and exits 1 when the action is denied. sql prints the WHERE condition a principal's list gets
// and its arguments. Usage errors exit 2.
//
// Install it with
//
//	go install github.com/apicrud-go/apicrud/cmd/apicrud@latest
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // lint findings, test failures, a policy that does not load
	exitUsage   = 2
	usageString = `usage:
  apicrud policy lint [-suite SUITE]... FILE...
  apicrud policy test [-coverage] [-threshold PCT] SUITE...
  apicrud policy explain -policy FILE -resource R -action A [-uid U] [-roles a,b] [-scopes s]
                         [-id ID] [-owner U] [-privacy P] [-parent ID] [-parent-resource R] [-field name=value]... [-now T]
  apicrud policy sql -policy FILE -dialect postgres|mysql|sqlite -resource R [-action A]
                     [-uid U] [-roles a,b] [-scopes s] [-column attr=column]... [-now T]
`
)

// run is the command line: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "policy" {
		io.WriteString(stderr, usageString) //nolint:errcheck // best effort
		return exitUsage
	}
	switch args[1] {
	case "lint":
		return lint(args[2:], stdout, stderr)
	case "test":
		return test(ctx, args[2:], stdout, stderr)
	case "explain":
		return explain(args[2:], stdout, stderr)
	case "sql":
		return sqlCmd(args[2:], stdout, stderr)
	}
	io.WriteString(stderr, usageString) //nolint:errcheck // best effort
	return exitUsage
}
