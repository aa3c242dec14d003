package policytest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/internal/strictyaml"
)

// MaxSize is the largest suite file Load and Parse accept.
const MaxSize = 4 << 20

// ErrSuite is a suite file that does not parse or refers to what it
// does not declare; the error names the file and line.
var ErrSuite = errors.New("policytest: invalid suite")

// Suite is a parsed test suite. The zero value is an empty suite.
type Suite struct {
	// File is the suite's file name, for messages.
	File string `yaml:"-"`
	// Policy is the policy file the suite tests, relative to the suite's
	// directory (Load resolves it).
	Policy string `yaml:"policy"`
	// Now is @now for every case ("" : the clock), RFC 3339.
	Now string `yaml:"now"`
	// Principals are the callers, by name.
	Principals map[string]Principal `yaml:"principals"`
	// Records are the records, by name.
	Records map[string]Record `yaml:"records"`
	// Cases are single decisions.
	Cases []Case `yaml:"cases"`
	// Lists are list memberships.
	Lists []List `yaml:"lists"`

	now time.Time
}

// Principal is a caller of a suite.
type Principal struct {
	UID    string   `yaml:"uid"`
	Roles  []string `yaml:"roles"`
	Scopes []string `yaml:"scopes"`
}

// Record is a record of a suite. Fields are converted to the types the
// policy's fields section declares (times as RFC 3339 strings).
type Record struct {
	Resource       string         `yaml:"resource"`
	ID             string         `yaml:"id"`
	Owner          string         `yaml:"owner"`
	Privacy        string         `yaml:"privacy"`
	Parent         string         `yaml:"parent"`
	ParentResource string         `yaml:"parent_resource"`
	Fields         map[string]any `yaml:"fields"`
}

// Case is one single decision: principal on record, with the actions
// expected allowed (Allow), denied (Deny), or exactly (Actions).
type Case struct {
	Name      string  `yaml:"name"`
	Principal string  `yaml:"principal"`
	Record    string  `yaml:"record"`
	Allow     string  `yaml:"allow"`
	Deny      string  `yaml:"deny"`
	Actions   *string `yaml:"actions"`
	Line      int     `yaml:"-"`
}

// List is a list membership: of Records, the principal may perform
// Action (default r) on exactly Expect.
type List struct {
	Name      string   `yaml:"name"`
	Principal string   `yaml:"principal"`
	Resource  string   `yaml:"resource"`
	Action    string   `yaml:"action"`
	Records   []string `yaml:"records"`
	Expect    []string `yaml:"expect"`
	Line      int      `yaml:"-"`
}

// Load reads the suite at path and resolves its policy path.
func Load(path string) (*Suite, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	s, err := Parse(data, filepath.Base(path))
	if err != nil {
		return nil, err
	}
	if s.Policy != "" && !filepath.IsAbs(s.Policy) {
		s.Policy = filepath.Join(filepath.Dir(path), s.Policy)
	}
	return s, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %s: over %d bytes", ErrSuite, filepath.Base(path), MaxSize)
	}
	return data, nil
}

// Parse parses a suite held in memory; name is used in messages. It
// checks the suite's own consistency: every case and list names a
// declared principal and records, and action letters are valid.
func Parse(data []byte, name string) (*Suite, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %s: over %d bytes", ErrSuite, name, MaxSize)
	}
	s := &Suite{}
	if err := strictyaml.Decode(name, data, s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSuite, err)
	}
	s.File = name
	root, err := strictyaml.Parse(name, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSuite, err)
	}
	lines(root, "cases", func(i, line int) {
		if i < len(s.Cases) {
			s.Cases[i].Line = line
		}
	})
	lines(root, "lists", func(i, line int) {
		if i < len(s.Lists) {
			s.Lists[i].Line = line
		}
	})
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// lines calls fn with the line of each item of the top-level sequence key.
func lines(root *yaml.Node, key string, fn func(i, line int)) {
	if root == nil || root.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key && root.Content[i+1].Kind == yaml.SequenceNode {
			for j, it := range root.Content[i+1].Content {
				fn(j, it.Line)
			}
		}
	}
}

func (s *Suite) fail(line int, format string, args ...any) error {
	return fmt.Errorf("%w: %s:%d: %s", ErrSuite, s.File, line, fmt.Sprintf(format, args...))
}

func (s *Suite) check() error {
	if s.Now != "" {
		t, err := time.Parse(time.RFC3339Nano, s.Now)
		if err != nil {
			return s.fail(0, "now: %v", err)
		}
		s.now = t
	}
	if len(s.Cases) == 0 && len(s.Lists) == 0 {
		return s.fail(0, "no cases and no lists")
	}
	for name, r := range s.Records {
		if r.Resource == "" {
			return s.fail(0, "record %q: no resource", name)
		}
	}
	for i, c := range s.Cases {
		if _, ok := s.Principals[c.Principal]; !ok {
			return s.fail(c.Line, "cases[%d]: unknown principal %q", i, c.Principal)
		}
		if _, ok := s.Records[c.Record]; !ok {
			return s.fail(c.Line, "cases[%d]: unknown record %q", i, c.Record)
		}
		for _, acts := range []string{c.Allow, c.Deny, deref(c.Actions)} {
			if _, err := ac.ParseActions(acts); err != nil {
				return s.fail(c.Line, "cases[%d]: %v", i, err)
			}
		}
		if c.Allow == "" && c.Deny == "" && c.Actions == nil {
			return s.fail(c.Line, "cases[%d]: expects nothing (allow, deny or actions)", i)
		}
	}
	for i, l := range s.Lists {
		if _, ok := s.Principals[l.Principal]; !ok {
			return s.fail(l.Line, "lists[%d]: unknown principal %q", i, l.Principal)
		}
		if l.Action == "" {
			s.Lists[i].Action = "r"
		} else if _, ok := ac.ActionOf(l.Action[0]); !ok || len(l.Action) != 1 {
			return s.fail(l.Line, "lists[%d]: action %q is not one action letter", i, l.Action)
		}
		for _, r := range append(slices.Clone(l.Records), l.Expect...) {
			rec, ok := s.Records[r]
			if !ok {
				return s.fail(l.Line, "lists[%d]: unknown record %q", i, r)
			}
			if rec.Resource != l.Resource {
				return s.fail(l.Line, "lists[%d]: record %q is a %s, not a %s", i, r, rec.Resource, l.Resource)
			}
		}
		for _, e := range l.Expect {
			if !slices.Contains(l.Records, e) {
				return s.fail(l.Line, "lists[%d]: expects %q, which is not among its records", i, e)
			}
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Report is the outcome of running a suite.
type Report struct {
	Suite  string
	Passed int
	// Failures are the cases and lists that failed, in suite order.
	Failures []Failure
	// Rules are the policy's rules; Exercised the entries of those some
	// case or list found granting one of the actions it checked.
	Rules     []ac.RuleInfo
	Exercised map[string]bool
}

// Failure is a case or list whose outcome differs from its expectation.
type Failure struct {
	Line    int
	Name    string
	Message string
}

// String returns "file:line: name: message".
func (f Failure) String() string { return fmt.Sprintf("%d: %s: %s", f.Line, f.Name, f.Message) }

// Coverage returns the share of rules exercised, from 0 to 1 (1 for a
// policy without rules).
func (r *Report) Coverage() float64 {
	if len(r.Rules) == 0 {
		return 1
	}
	n := 0
	for _, ri := range r.Rules {
		if r.Exercised[ri.Entry] {
			n++
		}
	}
	return float64(n) / float64(len(r.Rules))
}

// Unexercised returns the rules no case or list exercised.
func (r *Report) Unexercised() []ac.RuleInfo {
	var out []ac.RuleInfo
	for _, ri := range r.Rules {
		if !r.Exercised[ri.Entry] {
			out = append(out, ri)
		}
	}
	return out
}

// Option configures Run.
type Option func(*runOpts)

type runOpts struct{ db *sql.DB }

// WithSQLite also checks every list in SQL: its records go into a
// temporary table of db (an SQLite database, such as ":memory:"), and
// the rows the policy's filter selects must be the expected ones too.
func WithSQLite(db *sql.DB) Option { return func(o *runOpts) { o.db = db } }

// Run runs the suite against p. An error means the suite could not be
// run (a record field the policy does not declare, a database error);
// expectations that do not hold are Failures in the report.
func Run(ctx context.Context, s *Suite, p *ac.Policy, opts ...Option) (*Report, error) {
	var o runOpts
	for _, opt := range opts {
		opt(&o)
	}
	rep := &Report{Suite: s.File, Rules: p.RuleInfos(), Exercised: map[string]bool{}}
	who := map[string]ac.Principal{}
	for name, pr := range s.Principals {
		who[name] = ac.NewPrincipal(ac.Identity{UID: pr.UID, Roles: pr.Roles, Scopes: pr.Scopes})
	}
	recs := map[string]ac.Record{}
	for name, r := range s.Records {
		rec, err := s.record(p, name, r)
		if err != nil {
			return nil, err
		}
		recs[name] = rec
	}
	for i, c := range s.Cases {
		name := c.Name
		if name == "" {
			name = "cases[" + strconv.Itoa(i) + "]"
		}
		if msg := runCase(p, who[c.Principal], s.Records[c.Record].Resource, recs[c.Record], c, rep); msg != "" {
			rep.Failures = append(rep.Failures, Failure{Line: c.Line, Name: name, Message: msg})
		} else {
			rep.Passed++
		}
	}
	for i, l := range s.Lists {
		name := l.Name
		if name == "" {
			name = "lists[" + strconv.Itoa(i) + "]"
		}
		msg, err := s.runList(ctx, p, who[l.Principal], l, recs, rep, o.db)
		if err != nil {
			return nil, fmt.Errorf("policytest: %s:%d: %s: %w", s.File, l.Line, name, err)
		}
		if msg != "" {
			rep.Failures = append(rep.Failures, Failure{Line: l.Line, Name: name, Message: msg})
		} else {
			rep.Passed++
		}
	}
	return rep, nil
}

// record converts a suite record, its fields to the declared types.
func (s *Suite) record(p *ac.Policy, name string, r Record) (ac.Record, error) {
	rec := ac.Record{ID: r.ID, Owner: r.Owner, Privacy: r.Privacy, Parent: r.Parent, ParentResource: r.ParentResource, Now: s.now}
	if !slices.Contains(p.Resources(), r.Resource) {
		return rec, s.fail(0, "record %q: resource %q is not declared in the policy", name, r.Resource)
	}
	types := p.Fields(r.Resource)
	if len(r.Fields) > 0 {
		rec.Fields = make(map[string]any, len(r.Fields))
	}
	for f, v := range r.Fields {
		t, ok := types[f]
		if !ok {
			return rec, s.fail(0, "record %q: field %q is not declared for %s in the policy", name, f, r.Resource)
		}
		cv, err := Convert(t, v)
		if err != nil {
			return rec, s.fail(0, "record %q: field %q: %v", name, f, err)
		}
		rec.Fields[f] = cv
	}
	return rec, nil
}

// Convert converts a value read from YAML, JSON or a command line to the
// Go type of a declared field type: string, int (int64), float
// (float64), bool, time (time.Time from RFC 3339). nil stays nil.
func Convert(typ string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "string":
		if s, ok := v.(string); ok {
			return s, nil
		}
	case "int":
		switch x := v.(type) {
		case int:
			return int64(x), nil
		case int64:
			return x, nil
		case float64:
			if x == float64(int64(x)) {
				return int64(x), nil
			}
		case string:
			return strconv.ParseInt(x, 10, 64)
		}
	case "float":
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		case string:
			return strconv.ParseFloat(x, 64)
		}
	case "bool":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			return strconv.ParseBool(x)
		}
	case "time":
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			return time.Parse(time.RFC3339Nano, x)
		}
	}
	return nil, fmt.Errorf("%v is not a %s", v, typ)
}

func runCase(p *ac.Policy, who ac.Principal, resource string, rec ac.Record, c Case, rep *Report) string {
	got := p.Actions(who, resource, rec)
	allow, _ := ac.ParseActions(c.Allow)
	deny, _ := ac.ParseActions(c.Deny)
	var msgs []string
	if miss := allow &^ got; miss != 0 {
		msgs = append(msgs, "denied "+miss.String()+", expected allowed")
	}
	if extra := deny & got; extra != 0 {
		msgs = append(msgs, "allowed "+extra.String()+", expected denied")
	}
	if c.Actions != nil {
		if want, _ := ac.ParseActions(*c.Actions); want != got {
			msgs = append(msgs, fmt.Sprintf("actions %q, expected %q", got.String(), want.String()))
		}
	}
	checked := allow | deny
	if c.Actions != nil {
		checked = ac.ActionSet(0xffff)
	}
	exercise(p, who, resource, rec, checked, rep)
	if len(msgs) > 0 {
		return strings.Join(msgs, "; ") + " (" + p.Explain(who, firstOf(allow&^got|deny&got), resource, rec).Reason + ")"
	}
	return ""
}

// firstOf returns the first letter of set ('r' for the empty set).
func firstOf(set ac.ActionSet) byte {
	for i := 0; i < len(ac.Letters); i++ {
		if set.Has(ac.Letters[i]) {
			return ac.Letters[i]
		}
	}
	return 'r'
}

// exercise marks the rules that grant one of the checked actions here.
func exercise(p *ac.Policy, who ac.Principal, resource string, rec ac.Record, checked ac.ActionSet, rep *Report) {
	for i := 0; i < len(ac.Letters); i++ {
		a := ac.Letters[i]
		if !checked.Has(a) {
			continue
		}
		d := p.Explain(who, a, resource, rec)
		for _, ch := range d.Checks {
			if ch.Applies && ch.Actions.Has(a) && strings.HasPrefix(ch.Entry, "policies.") {
				rep.Exercised[ch.Entry] = true
			}
		}
	}
}

func (s *Suite) runList(ctx context.Context, p *ac.Policy, who ac.Principal, l List, recs map[string]ac.Record, rep *Report, db *sql.DB) (string, error) {
	action := l.Action[0]
	bit, _ := ac.ActionOf(action)
	var got []string
	for _, name := range l.Records {
		if p.AllowedFor(who, action, l.Resource, recs[name]) {
			got = append(got, name)
		}
		exercise(p, who, l.Resource, recs[name], bit, rep)
	}
	want := slices.Clone(l.Expect)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		return fmt.Sprintf("decisions select %v, expected %v", got, want), nil
	}
	if db == nil {
		return "", nil
	}
	rows, err := sqlList(ctx, db, p, who, l, recs, s.now)
	if err != nil {
		return "", err
	}
	if !slices.Equal(want, rows) {
		return fmt.Sprintf("the SQL filter selects %v, expected %v", rows, want), nil
	}
	return "", nil
}
