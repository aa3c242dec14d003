package i18n

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCatalogHostile: malformed or hostile catalogue files are ErrCatalog
// errors naming the file and line, never a panic or a partial read.
func TestCatalogHostile(t *testing.T) {
	bomb := "language: de\nx-a: &a [x,x,x,x,x,x,x,x,x]\n"
	for i := 'b'; i <= 'j'; i++ {
		prev := "*" + string(i-1)
		bomb += "x-" + string(i) + ": &" + string(i) + " [" + strings.Repeat(prev+",", 8) + prev + "]\n"
	}
	for _, tc := range []struct{ name, in, want string }{
		{"two documents", "language: de\nmessages: {a: b}\n---\nlanguage: fr\n", "cat.yaml:3: more than one YAML document"},
		{"unknown field", "language: de\nmesages: {a: b}\n", `cat.yaml:2: unknown field "mesages"`},
		{"wrong type", "language: de\nmessages: [a, b]\n", "cat.yaml:2: cannot unmarshal !!seq into map[string]string"},
		{"message not a string", "language: de\nmessages:\n  a: {b: c}\n", "cat.yaml:3: cannot unmarshal !!map into string"},
		{"duplicate id", "language: de\nmessages:\n  a: b\n  a: c\n", `cat.yaml:4: duplicate key "a" already defined at line 3`},
		{"syntax", "language: de\nmessages:\n  a: [b\n", "cat.yaml:3: invalid YAML"},
		{"alias bomb", bomb, "unknown field"},
		{"alias bomb in messages", "language: de\nmessages: &m {a: b, <<: *m}\n", "cat.yaml"},
		{"empty", "", `language "" is not a BCP 47 tag`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(WithYAML("cat.yaml", []byte(tc.in)))
			require.ErrorIs(t, err, ErrCatalog)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}
