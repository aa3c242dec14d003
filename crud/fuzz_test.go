package crud

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/stretchr/testify/require"
)

// fuzzResource is a contact resource whose database is never queried: the
// parsers only need its field whitelist.
func fuzzResource(t testing.TB) *Resource[contact] {
	res, err := NewResource[contact](testenv.SQLiteDB(t), "contact", WithAuthorizer(testAuth{}))
	require.NoError(t, err)
	return res
}

// checkCompiled asserts the invariants of a compiled filter: conditions
// are built only from whitelisted columns, SQL keywords, operators and
// placeholders, and every input value travels as an argument.
func checkCompiled(t *testing.T, res *Resource[contact], cf compiledFilter) {
	t.Helper()
	placeholders := 0
	var cols []string
	for _, f := range res.m.fields {
		if f.filter {
			cols = append(cols, f.tcol, "")
		}
	}
	stripCols := strings.NewReplacer(cols...)
	tokens := map[string]bool{"AND": true, "OR": true, "IS": true, "NOT": true, "NULL": true, "IN": true, "LIKE": true,
		"ESCAPE": true, "'!'": true, "LOWER": true, "?": true, "=": true, "<>": true, "<": true, ">": true, "<=": true,
		">=": true, "1=0": true, "1=1": true}
	for _, c := range cf.conds {
		placeholders += strings.Count(c, "?")
		rest := strings.NewReplacer("(", " ", ")", " ", ",", " ").Replace(stripCols.Replace(c))
		for _, tok := range strings.Fields(rest) {
			if !tokens[tok] {
				t.Fatalf("unexpected SQL %q in condition %q", tok, c)
			}
		}
	}
	if placeholders != len(cf.args) {
		t.Fatalf("%d placeholders, %d args", placeholders, len(cf.args))
	}
}

func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`{"name":"Ann"}`, `{"rank":[1,2,3]}`, `{"label":null}`, `{"name":"a%"}`, `{"rank":"*"}`, `{"muted":true}`,
		`{"created":"2024-01-01T00:00:00Z"}`, `{"id":[]}`, `{"name":{"$ne":1}}`, `{"secret":"x"}`, `{"' OR 1=1--":1}`,
		`{"name":"' OR 1=1--"}`, `[1]`, `null`, `{}`, `{"rank":1e400}`, `{"rank":1.5}`, `{"name":"\u0000"}`, `{"a":1}{}`,
		`{"name":"x","name":"y"}`, `{"privacy":"member"}`, `{"privacy":["public","nope"]}`,
		`{"rank":{"gte":1,"lt":3}}`, `{"rank":{"ne":1}}`, `{"rank":{"gt":"x"}}`, `{"rank":{"in":[1,2]}}`, `{"label":{"is":null}}`,
		`{"label":{"ne":null}}`, `{"name":{"like":"a%"}}`, `{"name":{"ilike":"%A_"}}`, `{"muted":{"eq":true}}`,
		`{"or":[{"rank":1},{"name":"x"}]}`, `{"or":[{"or":[{"rank":1}]}]}`, `{"or":[]}`, `{"rank_gte":2}`, `{"name_ilike":"a"}`,
		`{"rank_in":[1]}`, `{"q":"ann"}`, `{"q":"' OR 1=1--"}`, `{"or":[{"q":"x"},{"rank_lt":0}],"label":null}`,
	} {
		f.Add(s)
	}
	res := fuzzResource(f)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseFilterParam(s)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "filter" {
				t.Fatalf("parse error %v is not a filter FieldError", err)
			}
			return
		}
		cf, err := res.compileFilter(m)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, "filter") {
				t.Fatalf("compile error %v is not a filter FieldError", err)
			}
			return
		}
		checkCompiled(t, res, cf)
	})
}

func FuzzSort(f *testing.F) {
	for _, s := range [][2]string{
		{"name", ""}, {"name:desc", ""}, {"rank:ASC", ""}, {`["name","DESC"]`, ""}, {"", "desc"}, {"secret", ""},
		{"name; DROP TABLE contact", ""}, {"name:desc,id", ""}, {`["name"]`, "asc"}, {`[1,2]`, ""}, {"label", ""}, {":", ""},
	} {
		f.Add(s[0], s[1])
	}
	res := fuzzResource(f)
	f.Fuzz(func(t *testing.T, sort, order string) {
		s, err := res.parseSort(sort, order)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Code != CodeBadSort {
				t.Fatalf("error %v is not a sort FieldError", err)
			}
			return
		}
		if s.f == nil || !s.f.sort || s.f.json == "" {
			t.Fatalf("sort on %+v", s.f)
		}
		// The canonical form parses to the same spec.
		again, err := res.parseSort(s.String(), "")
		if err != nil || again != s {
			t.Fatalf("round trip of %q: %v, %+v", s.String(), err, again)
		}
	})
}

func FuzzCursor(f *testing.F) {
	signer := newCursorSigner([]byte("0123456789abcdef0123456789abcdef"))
	valid := signer.encode(&cursor{Kind: "l", Res: "contact", Sort: "name", Key: json.RawMessage(`"Ann"`), ID: "x-1", Pos: 10})
	for _, s := range []string{valid, valid + "x", "x" + valid, "", ".", "abc.def", strings.Replace(valid, ".", "..", 1),
		strings.ToUpper(valid), "eyJ0IjoibCJ9.AAAA"} {
		f.Add(s, "x-1", int64(3))
	}
	f.Fuzz(func(t *testing.T, s, id string, pos int64) {
		c, err := signer.decode(s)
		if err == nil {
			// The only signed cursor in play is valid; nothing else verifies
			// (no re-encoding, no other payload).
			if s != valid || c.ID != "x-1" {
				t.Fatalf("forged cursor accepted: %q", s)
			}
		} else {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "cursor_next" {
				t.Fatalf("error %v is not a cursor FieldError", err)
			}
		}
		// Round trip of any well-formed cursor.
		if !validID(id) || pos < 0 {
			return
		}
		in := &cursor{Kind: "l", Res: "contact", Sort: "rank", Desc: pos%2 == 0, Key: json.RawMessage("1"), ID: id, Pos: pos}
		out, err := signer.decode(signer.encode(in))
		if err != nil || out.ID != in.ID || out.Pos != in.Pos || out.Desc != in.Desc {
			t.Fatalf("round trip: %v %+v", err, out)
		}
		other := newCursorSigner([]byte("another key, also 32 bytes long!"))
		if _, err := other.decode(signer.encode(in)); err == nil {
			t.Fatal("cursor verified under another key")
		}
	})
}

func TestHostileParserInputs(t *testing.T) {
	res := fuzzResource(t)
	for _, s := range []string{
		strings.Repeat("[", 10000), `{"name":` + strings.Repeat("[", 5000), `{"` + strings.Repeat("a", 3000) + `":1}`,
		`{"rank":[` + strings.Repeat("1,", 200) + `1]}`, `{"rank":[[1]]}`, `{"rank":[null]}`, `{"rank":[{}]}`,
		`{"label":"home%"}`, `{"rank":9223372036854775808}`, `{"muted":"true"}`,
	} {
		m, err := parseFilterParam(s)
		if err == nil {
			_, err = res.compileFilter(m)
		}
		require.ErrorIs(t, err, ErrInvalid, "%.60s", s)
	}
	tooMany := map[string]any{}
	for i := range 40 {
		tooMany[strings.Repeat("x", i+1)] = 1
	}
	_, err := res.compileFilter(tooMany)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = res.compileFilter(map[string]any{"name": make(chan int)})
	require.ErrorIs(t, err, ErrInvalid)
	for _, s := range []string{strings.Repeat("n", 200), `["name","ASC","x"]`, `[]`, `[""]`, "name:asc:desc"} {
		_, err := res.parseSort(s, "")
		require.ErrorIs(t, err, ErrInvalid, s)
	}
	_, err = res.signer.decode(strings.Repeat("a", maxCursorLen+1))
	require.ErrorIs(t, err, ErrInvalid)
}

// FuzzCountPreference: any Prefer header gives a known mode or none, and
// the mode's name parses back to it.
func FuzzCountPreference(f *testing.F) {
	for _, s := range []string{"count=exact", "count=planned", "COUNT = Estimated", "return=minimal, count=exact",
		`count="exact"`, "count=", "count", "count=exact;x=1", ",,,", "count=none", "count=exact\r\nX: y", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		m, ok := parseCountPreference([]string{h})
		if !ok {
			if m != CountNone {
				t.Fatalf("%q: mode %v without a preference", h, m)
			}
			return
		}
		if m < CountExact || m > CountEstimated {
			t.Fatalf("%q: mode %d", h, m)
		}
		if again, ok := parseCountPreference([]string{"count=" + m.String()}); !ok || again != m {
			t.Fatalf("%q: %v does not round-trip", h, m)
		}
	})
}

// FuzzTrashRange: the trashcan's react-admin range never panics, never
// asks for more than the page maximum, and a start it accepts is within
// the rows it asks for.
func FuzzTrashRange(f *testing.F) {
	for _, s := range []string{"[0,9]", "[3,5]", "[5,3]", "[-1,2]", "[0,1000]", "[0]", "[0,1,2]", `["a","b"]`, "[1e9,1e10]", "null", "", "{}", "[0,9223372036854775807]"} {
		f.Add(s)
	}
	tc, err := NewTrashcan()
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, v string) {
		var q Query
		start, ranged, err := tc.parseRange(v, &q)
		if err != nil || !ranged {
			return
		}
		if q.Limit < 1 || q.Limit > tc.pageMax || start < 0 || start >= q.Limit {
			t.Fatalf("range %q: start %d, limit %d", v, start, q.Limit)
		}
	})
}

// FuzzExpand: any expand parameter is either a list of declared
// expansions or a 400 for "expand"; it never panics.
func FuzzExpand(f *testing.F) {
	fx := newRelationFixture(f, testenv.SQLiteDB(f))
	for _, s := range []string{"", "owner", "owner,grp", "grp,grp", ",", "owner,", " owner", "OWNER", "owner\x00", strings.Repeat("owner,", 60)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := parseExpandParam(s)
		var exps []*expansion
		if err == nil {
			exps, err = fx.contacts.parseExpand(names)
		}
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "expand" {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if len(s) > maxExpandLen || len(exps) > len(fx.contacts.expands) {
			t.Fatalf("%q: accepted %d expansions", s, len(exps))
		}
		for _, e := range exps {
			if fx.contacts.expands[e.name] != e {
				t.Fatalf("%q: undeclared expansion %q", s, e.name)
			}
		}
	})
}

// FuzzRelationBody: any JSON value of a relation field decodes to valid
// ids within the bound or is a 400 for the field.
func FuzzRelationBody(f *testing.F) {
	fx := newRelationFixture(f, testenv.SQLiteDB(f))
	for _, s := range []string{`[]`, `null`, `["x-1","x-2"]`, `"x-1"`, `[1]`, `[null]`, `[["x"]]`, `{"a":1}`, `["a b"]`, `["` + strings.Repeat("a", 200) + `"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		body := map[string]json.RawMessage{"groups": json.RawMessage(s)}
		if !json.Valid([]byte(s)) {
			return
		}
		rec := new(linked)
		present, _, err := fx.contacts.decodeBody(body, rec, true)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "groups" {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if len(present) != 1 || len(rec.Groups) > maxRelated {
			t.Fatalf("%q: %d fields, %d ids", s, len(present), len(rec.Groups))
		}
		for _, id := range rec.Groups {
			if !validID(id) {
				t.Fatalf("%q: accepted id %q", s, id)
			}
		}
	})
}
