package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestContactsPolicySuite runs the example service's policy suite through
// the command line, as `apicrud policy test` does.
func TestContactsPolicySuite(t *testing.T) {
	code, out, stderr := runCLI(t, "policy", "test", "-coverage", "-threshold", "90", "../../examples/contacts/rbac_test.yaml")
	require.Equal(t, exitOK, code, "%s%s", out, stderr)
	require.Contains(t, out, "ok\trbac_test.yaml\t")
	t.Log(out)
}

func TestLint(t *testing.T) {
	code, out, _ := runCLI(t, "policy", "lint", "testdata/shadow.yaml")
	require.Equal(t, exitFailed, code)
	require.Equal(t, `shadow.yaml:7: policies.doc[2]: shadowed: policies.doc[0] (line 5) already gives r to these principals on these records
shadow.yaml:8: policies.doc[3]: shadowed: policies.doc[0] (line 5) already gives r to these principals on these records
shadow.yaml:10: policies.doc[5]: shadowed: policies.doc[4] (line 9) already gives u to these principals on these records
shadow.yaml:0: fields.doc.unused: unused: no condition of doc reads it
`, out)
	code, out, _ = runCLI(t, "policy", "lint", "testdata/bad_policy.yaml")
	require.Equal(t, exitFailed, code)
	require.Equal(t, "bad_policy.yaml:4: policies.doc[0]: when: column 1: unknown field \"status\" (declare it under fields)\n", out)
	code, out, _ = runCLI(t, "policy", "lint", "../../examples/contacts/rbac.yaml")
	require.Equal(t, exitOK, code, out)
	code, out, _ = runCLI(t, "policy", "lint", "-suite", "../../examples/contacts/rbac_test.yaml", "../../examples/contacts/rbac.yaml")
	require.Equal(t, exitOK, code, out)

	// A suite that exercises one rule leaves the others unused.
	code, out, _ = runCLI(t, "policy", "lint", "-suite", "testdata/failing_test.yaml", "../../accesscontrol/testdata/conditions.yaml")
	require.Equal(t, exitFailed, code)
	require.Contains(t, out, "conditions.yaml:10: policies.message[0]: unused: no case of the suites exercises it\n")
	require.Contains(t, out, "conditions.yaml:20: policies.invoice[0]: unused: no case of the suites exercises it\n")
}

func TestPolicyTestCommand(t *testing.T) {
	code, out, _ := runCLI(t, "policy", "test", "../../accesscontrol/testdata/conditions_test.yaml")
	require.Equal(t, exitOK, code, out)
	require.Equal(t, "ok\tconditions_test.yaml\t11 passed, 0 failed, 100.0% of 6 rules exercised\n", out)

	code, out, _ = runCLI(t, "policy", "test", "testdata/failing_test.yaml")
	require.Equal(t, exitFailed, code)
	require.Contains(t, out, "FAIL failing_test.yaml:8: wrongly expects a draft readable: denied r, expected allowed (denied: u-2 may not r message \"m-3\":")
	require.Contains(t, out, "when status = 'published' and published_at <= @now is false")

	code, out, _ = runCLI(t, "policy", "test", "-coverage", "-threshold", "50", "testdata/failing_test.yaml")
	require.Equal(t, exitFailed, code)
	require.Contains(t, out, "not exercised: conditions.yaml:10: policies.message[0]: admin -> {resource}:* : cdru\n")
	require.Contains(t, out, "below the threshold 50.0%")
}

func TestExplainAndSQL(t *testing.T) {
	pol := "../../accesscontrol/testdata/conditions.yaml"
	code, out, _ := runCLI(t, "policy", "explain", "-policy", pol, "-resource", "contact", "-action", "u",
		"-uid", "u-1", "-roles", "user", "-owner", "u-1", "-field", "locked=false")
	require.Equal(t, exitOK, code, out)
	require.Contains(t, out, "allowed: u-1 may u contact \"\": policies.contact[1] (holds role \"user\", the caller owns the record, when locked = false is true)\n")
	require.Contains(t, out, "  + conditions.yaml:18: policies.contact[1]: user/{{uid}} -> {resource}:{{uid}} : du when locked = false:")

	code, out, _ = runCLI(t, "policy", "explain", "-policy", pol, "-resource", "contact", "-action", "u",
		"-uid", "u-1", "-roles", "user", "-owner", "u-1", "-field", "locked=true")
	require.Equal(t, exitFailed, code, out)
	require.Contains(t, out, "when locked = false is false")

	for dialect, want := range map[string]string{
		"postgres": "WHERE (uid = $1 AND locked = $2)\n-- arg 1: \"u-1\"\n-- arg 2: false\n",
		"mysql":    "WHERE (uid = ? AND locked = ?)\n-- arg 1: \"u-1\"\n-- arg 2: false\n",
		"sqlite":   "WHERE (uid = ? AND locked = ?)\n-- arg 1: \"u-1\"\n-- arg 2: false\n",
	} {
		code, out, _ = runCLI(t, "policy", "sql", "-policy", pol, "-dialect", dialect, "-resource", "contact", "-action", "d", "-uid", "u-1", "-roles", "user")
		require.Equal(t, exitOK, code, out)
		require.Equal(t, want, out, dialect)
	}
	code, out, _ = runCLI(t, "policy", "sql", "-policy", pol, "-dialect", "sqlite", "-resource", "contact", "-action", "d",
		"-uid", "u-1", "-roles", "user", "-column", "uid=c.owner", "-column", "locked=c.locked")
	require.Equal(t, exitOK, code, out)
	require.Contains(t, out, "WHERE (c.owner = ? AND c.locked = ?)\n")
}

// TestHostileArguments: bad command lines exit 2 with a message, never a
// panic or a stack trace.
func TestHostileArguments(t *testing.T) {
	pol := "../../accesscontrol/testdata/conditions.yaml"
	long := string(bytes.Repeat([]byte("a"), 5000))
	cases := [][]string{
		{}, {"policy"}, {"nope"}, {"policy", "nope"}, {"policy", "lint"}, {"policy", "test"},
		{"policy", "test", "-threshold", "101", "x.yaml"}, {"policy", "test", "-bogus"},
		{"policy", "explain"}, {"policy", "explain", "-policy", pol},
		{"policy", "explain", "-policy", pol, "-resource", "nope", "-action", "r"},
		{"policy", "explain", "-policy", pol, "-resource", "contact", "-action", "rr"},
		{"policy", "explain", "-policy", pol, "-resource", "contact", "-action", "x"},
		{"policy", "explain", "-policy", pol, "-resource", "contact", "-action", "\x00"},
		{"policy", "explain", "-policy", pol, "-resource", "contact", "-action", "r", "-field", "locked"},
		{"policy", "explain", "-policy", pol, "-resource", "contact", "-action", "r", "-field", "nope=1"},
		{"policy", "explain", "-policy", pol, "-resource", "contact", "-action", "r", "-field", "locked=maybe"},
		{"policy", "explain", "-policy", pol, "-resource", "contact", "-action", "r", "-now", "yesterday"},
		{"policy", "explain", "-policy", pol, "-resource", "contact", "-action", "r", "-uid", long},
		{"policy", "explain", "-policy", pol, "-resource", "contact", "-action", "r", "extra"},
		{"policy", "explain", "-policy", "/nonexistent.yaml", "-resource", "contact", "-action", "r"},
		{"policy", "sql", "-policy", pol, "-resource", "contact"},
		{"policy", "sql", "-policy", pol, "-resource", "contact", "-dialect", "oracle"},
		{"policy", "sql", "-policy", pol, "-resource", "contact", "-dialect", "mysql", "-column", "uid=uid; DROP TABLE x"},
		{"policy", "sql", "-policy", pol, "-resource", "contact", "-dialect", "mysql", "-column", "nocolumn"},
	}
	for _, args := range cases {
		code, out, stderr := runCLI(t, args...)
		require.Equal(t, exitUsage, code, "%q: %s%s", args, out, stderr)
		require.NotEmpty(t, stderr, "%q", args)
		require.NotContains(t, stderr, "goroutine", "%q", args)
	}
}
