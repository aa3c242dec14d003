package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the in-memory database policy test checks lists on

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/accesscontrol/policytest"
)

// maxArgLen bounds every command-line value: these values may come from
// scripts fed with outside data.
const maxArgLen = 4096

func usageErr(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "apicrud: "+format+"\n", args...)
	return exitUsage
}

func lint(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policy lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var suites suiteFlag
	fs.Var(&suites, "suite", "a test suite of the policy: rules none of its cases exercises are reported unused (repeatable)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		return usageErr(stderr, "policy lint: no policy file")
	}
	code := exitOK
	for _, path := range fs.Args() {
		p, err := ac.LoadFile(path)
		if err != nil {
			fmt.Fprintln(stdout, err)
			code = exitFailed
			continue
		}
		for _, f := range p.Lint() {
			fmt.Fprintf(stdout, "%s:%s\n", p.File(), f)
			code = exitFailed
		}
		if len(suites) == 0 {
			continue
		}
		unused, err := unusedRules(p, suites)
		if err != nil {
			fmt.Fprintln(stdout, err)
			code = exitFailed
			continue
		}
		for _, r := range unused {
			fmt.Fprintf(stdout, "%s:%d: %s: unused: no case of the suites exercises it\n", p.File(), r.Line, r.Entry)
			code = exitFailed
		}
	}
	return code
}

// suiteFlag collects repeated -suite paths.
type suiteFlag []string

func (s *suiteFlag) String() string { return strings.Join(*s, ",") }
func (s *suiteFlag) Set(v string) error {
	if len(*s) >= 64 || v == "" {
		return errors.New("at most 64 non-empty suites")
	}
	*s = append(*s, v)
	return nil
}

// unusedRules runs the suites against p and returns the rules none of
// them exercised.
func unusedRules(p *ac.Policy, suites []string) ([]ac.RuleInfo, error) {
	exercised := map[string]bool{}
	for _, path := range suites {
		s, err := policytest.Load(path)
		if err != nil {
			return nil, err
		}
		rep, err := policytest.Run(context.Background(), s, p)
		if err != nil {
			return nil, err
		}
		for e := range rep.Exercised {
			exercised[e] = true
		}
	}
	var out []ac.RuleInfo
	for _, r := range p.RuleInfos() {
		if !exercised[r.Entry] {
			out = append(out, r)
		}
	}
	return out, nil
}

func test(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policy test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	coverage := fs.Bool("coverage", false, "report the rules no case exercised")
	threshold := fs.Float64("threshold", 0, "fail when fewer than this percentage of rules are exercised")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		return usageErr(stderr, "policy test: no suite file")
	}
	if *threshold < 0 || *threshold > 100 {
		return usageErr(stderr, "policy test: -threshold must be between 0 and 100")
	}
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		fmt.Fprintln(stderr, "apicrud:", err)
		return exitFailed
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	code := exitOK
	for _, path := range fs.Args() {
		if c := testSuite(ctx, db, path, *coverage, *threshold, stdout); c != exitOK {
			code = c
		}
	}
	return code
}

func testSuite(ctx context.Context, db *sql.DB, path string, coverage bool, threshold float64, stdout io.Writer) int {
	s, err := policytest.Load(path)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return exitFailed
	}
	if s.Policy == "" {
		fmt.Fprintf(stdout, "%s: no policy file (policy:)\n", s.File)
		return exitFailed
	}
	p, err := ac.LoadFile(s.Policy)
	if err != nil {
		fmt.Fprintln(stdout, err)
		return exitFailed
	}
	rep, err := policytest.Run(ctx, s, p, policytest.WithSQLite(db))
	if err != nil {
		fmt.Fprintln(stdout, err)
		return exitFailed
	}
	code := exitOK
	for _, f := range rep.Failures {
		fmt.Fprintf(stdout, "FAIL %s:%s\n", s.File, f)
		code = exitFailed
	}
	pct := 100 * rep.Coverage()
	status := "ok"
	if code != exitOK {
		status = "FAIL"
	}
	fmt.Fprintf(stdout, "%s\t%s\t%d passed, %d failed, %.1f%% of %d rules exercised\n",
		status, s.File, rep.Passed, len(rep.Failures), pct, len(rep.Rules))
	if coverage {
		for _, r := range rep.Unexercised() {
			fmt.Fprintf(stdout, "  not exercised: %s:%d: %s: %s -> %s : %s%s\n", p.File(), r.Line, r.Entry,
				r.Principal, r.Target, r.Actions, when(r.When))
		}
	}
	if threshold > 0 && pct < threshold {
		fmt.Fprintf(stdout, "FAIL %s: %.1f%% of rules exercised, below the threshold %.1f%%\n", s.File, pct, threshold)
		code = exitFailed
	}
	return code
}

func when(w string) string {
	if w == "" {
		return ""
	}
	return " when " + w
}

// listFlag collects a repeated name=value flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	if len(*l) >= 256 {
		return errors.New("too many values")
	}
	if _, _, ok := strings.Cut(v, "="); !ok {
		return errors.New("want name=value")
	}
	*l = append(*l, v)
	return nil
}

// principalFlags are the flags that describe a caller.
type principalFlags struct {
	policy, resource, action, uid, roles, scopes, now string
}

func (pf *principalFlags) register(fs *flag.FlagSet, action string) {
	fs.StringVar(&pf.policy, "policy", "", "the policy file (required)")
	fs.StringVar(&pf.resource, "resource", "", "the resource (required)")
	fs.StringVar(&pf.action, "action", action, "the action letter")
	fs.StringVar(&pf.uid, "uid", "", "the caller's uid (none: anonymous)")
	fs.StringVar(&pf.roles, "roles", "", "the caller's roles, comma-separated")
	fs.StringVar(&pf.scopes, "scopes", "", "the credential's scopes, comma-separated")
	fs.StringVar(&pf.now, "now", "", "the request time (@now), RFC 3339; default: now")
}

// load validates the flags and loads the policy.
func (pf *principalFlags) load(fs *flag.FlagSet) (*ac.Policy, ac.Principal, time.Time, error) {
	var now time.Time
	tooLong := false
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Value.String()) > maxArgLen {
			tooLong = true
		}
	})
	switch {
	case tooLong:
		return nil, ac.Principal{}, now, fmt.Errorf("a value is over %d bytes", maxArgLen)
	case fs.NArg() > 0:
		return nil, ac.Principal{}, now, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case pf.policy == "" || pf.resource == "":
		return nil, ac.Principal{}, now, errors.New("-policy and -resource are required")
	case len(pf.action) != 1:
		return nil, ac.Principal{}, now, fmt.Errorf("-action %q is not one action letter (%s)", pf.action, ac.Letters)
	}
	if _, ok := ac.ActionOf(pf.action[0]); !ok {
		return nil, ac.Principal{}, now, fmt.Errorf("-action %q is not an action letter (%s)", pf.action, ac.Letters)
	}
	if pf.now != "" {
		t, err := time.Parse(time.RFC3339Nano, pf.now)
		if err != nil {
			return nil, ac.Principal{}, now, fmt.Errorf("-now: %v", err)
		}
		now = t
	}
	p, err := ac.LoadFile(pf.policy)
	if err != nil {
		return nil, ac.Principal{}, now, err
	}
	if !slices.Contains(p.Resources(), pf.resource) {
		return nil, ac.Principal{}, now, fmt.Errorf("resource %q is not declared in %s", pf.resource, p.File())
	}
	who := ac.NewPrincipal(ac.Identity{UID: pf.uid, Roles: split(pf.roles), Scopes: split(pf.scopes)})
	return p, who, now, nil
}

func split(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func explain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policy explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf principalFlags
	pf.register(fs, "")
	var rec ac.Record
	var fields listFlag
	fs.StringVar(&rec.ID, "id", "", "the record's id")
	fs.StringVar(&rec.Owner, "owner", "", "the record's owner uid")
	fs.StringVar(&rec.Privacy, "privacy", "", "the record's privacy level")
	fs.StringVar(&rec.Parent, "parent", "", "the id of the membership record it belongs to (its list_id)")
	fs.StringVar(&rec.ParentResource, "parent-resource", "", "the private resource -parent names (default: the first)")
	fs.Var(&fields, "field", "a field of the record, name=value (repeatable; typed as the policy declares)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	p, who, now, err := pf.load(fs)
	if err != nil {
		return usageErr(stderr, "policy explain: %v", err)
	}
	rec.Now = now
	types := p.Fields(pf.resource)
	for _, f := range fields {
		name, val, _ := strings.Cut(f, "=")
		t, ok := types[name]
		if !ok {
			return usageErr(stderr, "policy explain: -field %q: %s declares no such field for %s", name, p.File(), pf.resource)
		}
		v, err := policytest.Convert(t, val)
		if err != nil {
			return usageErr(stderr, "policy explain: -field %q: %v", name, err)
		}
		if rec.Fields == nil {
			rec.Fields = map[string]any{}
		}
		rec.Fields[name] = v
	}
	d := p.Explain(who, pf.action[0], pf.resource, rec)
	fmt.Fprintln(stdout, d.Reason)
	fmt.Fprintf(stdout, "actions: %q\n", d.Actions.String())
	for _, ch := range d.Checks {
		mark := "-"
		if ch.Applies {
			mark = "+"
		}
		loc := ch.Entry
		if ch.Line > 0 {
			loc = fmt.Sprintf("%s:%d: %s", p.File(), ch.Line, ch.Entry)
		}
		fmt.Fprintf(stdout, "  %s %s: %s: %s\n", mark, loc, ch.Rule, ch.Reason)
	}
	if !d.Allowed {
		return exitFailed
	}
	return exitOK
}

var dialects = map[string]int{"postgres": ac.BindDollar, "mysql": ac.BindQuestion, "sqlite": ac.BindQuestion}

func sqlCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policy sql", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf principalFlags
	pf.register(fs, "r")
	dialect := fs.String("dialect", "", "postgres, mysql or sqlite (required)")
	var columns listFlag
	fs.Var(&columns, "column", "attr=column: the column of an attribute or field (repeatable; default: its name)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	bind, ok := dialects[*dialect]
	if !ok {
		return usageErr(stderr, "policy sql: -dialect %q: want postgres, mysql or sqlite", *dialect)
	}
	p, who, now, err := pf.load(fs)
	if err != nil {
		return usageErr(stderr, "policy sql: %v", err)
	}
	cols := map[string]string{"id": "id", "uid": "uid", "privacy": "privacy"}
	for _, pr := range p.PrivateResources() {
		cols[pr.Attr] = pr.Attr
	}
	for f := range p.Fields(pf.resource) {
		cols[f] = f
	}
	for _, c := range columns {
		attr, col, _ := strings.Cut(c, "=")
		cols[attr] = col
	}
	opts := []ac.FilterOption{ac.WithBindType(bind)}
	if !now.IsZero() {
		opts = append(opts, ac.WithNow(now))
	}
	clause, args2, err := p.FilterFor(who, pf.action[0], pf.resource, cols, opts...)
	if err != nil {
		return usageErr(stderr, "policy sql: %v", err)
	}
	fmt.Fprintf(stdout, "WHERE %s\n", clause)
	for i, a := range args2 {
		if t, ok := a.(time.Time); ok {
			a = t.Format(time.RFC3339Nano)
		}
		fmt.Fprintf(stdout, "-- arg %d: %#v\n", i+1, a)
	}
	return exitOK
}
