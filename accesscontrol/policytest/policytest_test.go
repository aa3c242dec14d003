package policytest_test

import (
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/accesscontrol/policytest"
)

func TestRunWithSQLite(t *testing.T) {
	s, err := policytest.Load("../testdata/conditions_test.yaml")
	require.NoError(t, err)
	p, err := ac.LoadFile(s.Policy)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	rep, err := policytest.Run(t.Context(), s, p, policytest.WithSQLite(db))
	require.NoError(t, err)
	require.Empty(t, rep.Failures)
	require.Equal(t, 11, rep.Passed)
	require.InDelta(t, 1.0, rep.Coverage(), 0)

	// A wrong expectation on a list fails it, naming its line.
	s.Lists[0].Expect = []string{"published", "draft"}
	rep, err = policytest.Run(t.Context(), s, p, policytest.WithSQLite(db))
	require.NoError(t, err)
	require.Len(t, rep.Failures, 1)
	require.Equal(t, "27: what a member lists: decisions select [published], expected [draft published]", rep.Failures[0].String())
}

// hostileSuites are suite files built to hurt the parser: each must be
// refused with ErrSuite, quickly, without a panic.
var hostileSuites = []string{
	"", "cases: [", "bogus: 1", "cases: {a: b}", "principals: {a: {uid: [x]}}",
	"principals: {a: {}}\nprincipals: {b: {}}",
	"cases: [{principal: nobody, record: r, allow: r}]",
	"principals: {a: {}}\nrecords: {r: {resource: doc}}\ncases: [{principal: a, record: r}]",
	"principals: {a: {}}\nrecords: {r: {resource: doc}}\ncases: [{principal: a, record: r, allow: z}]",
	"principals: {a: {}}\nrecords: {r: {resource: doc}}\nlists: [{principal: a, resource: doc, action: rr, records: [r]}]",
	"principals: {a: {}}\nrecords: {r: {resource: doc}}\nlists: [{principal: a, resource: doc, records: [r], expect: [s]}]",
	"principals: {a: {}}\nrecords: {r: {resource: doc}}\nlists: [{principal: a, resource: other, records: [r]}]",
	"records: {r: {id: x}}",
	"now: yesterday",
	"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
	strings.Repeat("[", 10000),
	"principals:\x00 {}",
	"policy: x\n---\npolicy: y\n",
}

func TestHostileSuites(t *testing.T) {
	for _, h := range hostileSuites {
		start := time.Now()
		_, err := policytest.Parse([]byte(h), "h.yaml")
		require.ErrorIs(t, err, policytest.ErrSuite, "%q", h)
		require.Less(t, time.Since(start), 5*time.Second)
	}
	_, err := policytest.Parse(make([]byte, policytest.MaxSize+1), "big.yaml")
	require.ErrorIs(t, err, policytest.ErrSuite)
}

// FuzzParse feeds arbitrary suites to Parse and runs those that parse
// against a policy with conditions: no panic; a refusal is ErrSuite, a
// run error names the suite.
func FuzzParse(f *testing.F) {
	for _, h := range hostileSuites {
		f.Add([]byte(h))
	}
	f.Add([]byte("principals:\n  a: {uid: u, roles: [auditor]}\nrecords:\n  r: {resource: invoice, fields: {amount: 5}}\ncases: [{principal: a, record: r, allow: l}]\nlists: [{principal: a, resource: invoice, records: [r], expect: [r]}]\n"))
	p, err := ac.LoadBytes([]byte("fields: {invoice: {amount: float, at: time}}\npolicies:\n  invoice:\n    - {principal: auditor, resource: \"{resource}:*\", actions: lr, when: \"amount < 10000 or at < @now\"}\n"), "p.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := policytest.Parse(data, "f.yaml")
		if err != nil {
			if !errors.Is(err, policytest.ErrSuite) {
				t.Fatalf("not ErrSuite: %v", err)
			}
			return
		}
		if _, err := policytest.Run(t.Context(), s, p); err != nil && !strings.Contains(err.Error(), "f.yaml") {
			t.Fatalf("run error without the suite's name: %v", err)
		}
	})
}
