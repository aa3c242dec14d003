package strictyaml_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/apicrud-go/apicrud/internal/strictyaml"
)

type target struct {
	Name  string   `yaml:"name"`
	Count int      `yaml:"count"`
	Tags  []string `yaml:"tags"`
}

func TestDecode(t *testing.T) {
	for name, in := range map[string]string{
		"plain":             "name: a\ncount: 2\ntags: [x, y]\n",
		"explicit document": "---\nname: a\ncount: 2\ntags: [x, y]\n...\n",
		"empty documents":   "---\n---\nname: a\ncount: 2\ntags: [x, y]\n---\n",
		"comments":          "# c\nname: a # n\ncount: 2\ntags:\n  - x\n  - y\n",
		"anchors":           "tags: &t [x, y]\nname: a\ncount: 2\n",
	} {
		t.Run(name, func(t *testing.T) {
			var got target
			require.NoError(t, strictyaml.Decode("f.yaml", []byte(in), &got))
			require.Equal(t, target{Name: "a", Count: 2, Tags: []string{"x", "y"}}, got)
		})
	}
}

func TestDecodeEmpty(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n", "---\n", "---\n...\n", "~\n", "null\n", "---\n---\n"} {
		got := target{Name: "kept"}
		require.NoError(t, strictyaml.Decode("f.yaml", []byte(in), &got), "%q", in)
		require.Equal(t, "kept", got.Name, "%q", in)
		n, err := strictyaml.Parse("f.yaml", []byte(in))
		require.NoError(t, err)
		require.Nil(t, n)
	}
}

// TestHostile is the table of hostile input: every case is refused with
// the right kind of error, the right line and the file name, quickly.
func TestHostile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind error
		line int
		msg  string
	}{
		{"two documents", "name: a\n---\nname: b\n", strictyaml.ErrDocuments, 2, "more than one YAML document"},
		{"garbage second document", "name: a\n---\n: : :\n", strictyaml.ErrSyntax, 3, "invalid YAML"},
		{"unknown field", "name: a\nnmae: b\n", strictyaml.ErrUnknownField, 2, `unknown field "nmae"`},
		{"wrong type", "name: a\ncount: many\n", strictyaml.ErrType, 2, "cannot unmarshal !!str `many` into int"},
		{"list for scalar", "name: [a]\n", strictyaml.ErrType, 1, "cannot unmarshal !!seq"},
		{"duplicate key", "name: a\ncount: 1\nname: b\n", strictyaml.ErrDuplicateKey, 3, `duplicate key "name" already defined at line 1`},
		// The library reports parser errors one line too low: these are
		// the line of the construct at fault, 1-based (or of the end of
		// the input when the construct starts on line 1).
		{"unclosed at the end", "[a, b\n", strictyaml.ErrSyntax, 2, "did not find expected ',' or ']'"},
		{"unclosed flow sequence", "name: a\ntags: [x, y\n", strictyaml.ErrSyntax, 2, "did not find expected ',' or ']'"},
		{"unclosed flow mapping", "name: a\ncount: 1\ntags: {a: b\n", strictyaml.ErrSyntax, 3, "did not find expected ',' or '}'"},
		{"parser error on line 1", "{a: 1]\n", strictyaml.ErrSyntax, 1, "did not find expected ',' or '}'"},
		{"missing sequence indicator", "- a\nb: 1\n", strictyaml.ErrSyntax, 2, "did not find expected '-' indicator"},
		{"mapping then sequence", "name: a\n- b\n", strictyaml.ErrSyntax, 2, "did not find expected key"},
		{"outdented key", "name:\n  a: 1\n b: 2\n", strictyaml.ErrSyntax, 3, "did not find expected key"},
		{"flow sequence across lines", "tags: [b\nname: d\n", strictyaml.ErrSyntax, 2, "did not find expected ',' or ']'"},
		{"unknown directive", "%FOO\n---\na\n", strictyaml.ErrSyntax, 1, "found unknown directive name"},
		{"content after a flow sequence", "[a, b] c\n", strictyaml.ErrSyntax, 1, ""},
		{"bad indentation", "name: a\n  count: 1\n", strictyaml.ErrSyntax, 2, "mapping values are not allowed"},
		{"scanner error on line 1", "name: \"abc", strictyaml.ErrSyntax, 1, "found unexpected end of stream"},
		{"tab indentation", "tags:\n\t- a\n", strictyaml.ErrSyntax, 2, "cannot start any token"},
		{"unknown alias", "name: *x\n", strictyaml.ErrSyntax, 0, "unknown anchor 'x' referenced"},
		{"invalid UTF-8", "name: \xff\n", strictyaml.ErrSyntax, 0, "invalid"},
		{"root list", "- a\n", strictyaml.ErrType, 1, "cannot unmarshal !!seq into strictyaml_test.target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			var got target
			err := strictyaml.Decode("f.yaml", []byte(tt.in), &got)
			require.ErrorIs(t, err, tt.kind)
			var e *strictyaml.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, "f.yaml", e.File)
			require.Equal(t, tt.line, e.Line, err.Error())
			require.Contains(t, e.Msg, tt.msg)
			if tt.line > 0 {
				require.True(t, strings.HasPrefix(err.Error(), "f.yaml:"+strconv.Itoa(tt.line)+": "), err.Error())
			}
			require.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

const billionLaughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// TestBillionLaughs checks that alias expansion is bounded (10⁹ strings
// if it were not), for untyped targets too.
func TestBillionLaughs(t *testing.T) {
	start := time.Now()
	var v any
	err := strictyaml.Decode("f.yaml", []byte(billionLaughs), &v)
	require.ErrorIs(t, err, strictyaml.ErrAliases)
	require.EqualError(t, err, "f.yaml: too many aliases: the document expands far beyond its size")
	var m map[string][]any
	require.ErrorIs(t, strictyaml.Decode("f.yaml", []byte(billionLaughs), &m), strictyaml.ErrAliases)
	require.Less(t, time.Since(start), 5*time.Second)
	// Parse does not expand aliases: the tree stays the size of the input.
	n, err := strictyaml.Parse("f.yaml", []byte(billionLaughs))
	require.NoError(t, err)
	require.Len(t, n.Content, 18)
}

func TestParseSecondDocumentLine(t *testing.T) {
	_, err := strictyaml.Parse("p.yaml", []byte("a: 1\n# c\n---\n\nb: 2\n"))
	require.EqualError(t, err, "p.yaml:3: more than one YAML document")
}

type positioned struct{}

func (positioned) UnmarshalYAML(n *yaml.Node) error {
	return strictyaml.At(n, errPositioned)
}

var errPositioned = errors.New("not allowed here")

type plainErr struct{}

func (plainErr) UnmarshalYAML(*yaml.Node) error { return errPositioned }

func TestUnmarshalerErrors(t *testing.T) {
	var v struct {
		P positioned `yaml:"p"`
	}
	err := strictyaml.Decode("u.yaml", []byte("a: 1\n"), &struct {
		A int `yaml:"a"`
	}{})
	require.NoError(t, err)
	err = strictyaml.Decode("u.yaml", []byte("\np: x\n"), &v)
	require.EqualError(t, err, "u.yaml:2: not allowed here")
	require.ErrorIs(t, err, errPositioned)

	var w struct {
		P plainErr `yaml:"p"`
	}
	err = strictyaml.Decode("u.yaml", []byte("p: x\n"), &w)
	require.Equal(t, errPositioned, err, "an UnmarshalYAML error without a position is returned as it is")
}

func TestErrorFormat(t *testing.T) {
	for want, e := range map[string]*strictyaml.Error{
		"f.yaml:3: m": {File: "f.yaml", Line: 3, Msg: "m"},
		"f.yaml: m":   {File: "f.yaml", Msg: "m"},
		"line 3: m":   {Line: 3, Msg: "m"},
		"m":           {Msg: "m"},
	} {
		require.EqualError(t, e, want)
	}
}
