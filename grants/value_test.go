package grants_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/apicrud-go/apicrud/grants"
)

func TestParseValue(t *testing.T) {
	for _, tc := range []struct {
		in    string
		n     int64
		isInt bool
	}{
		{"50", 50, true},
		{"0x20", 32, true},
		{"0X1f", 31, true},
		{"0o17", 15, true},
		{"017", 15, true}, // C-style octal (Python would keep "017" a string)
		{"0b101", 5, true},
		{"1_000", 1000, true},
		{"-1", -1, true},
		{"+7", 7, true},
		{"0", 0, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false}, // overflows: a string
		{"08", 0, false},                  // not octal: a string
		{"0x", 0, false},
		{"dark", 0, false},
		{"user@example.com", 0, false},
		{"1.5", 0, false},
		{"1__0", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			v, err := grants.ParseValue(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.in, v.String(), "the original string is kept")
			n, ok := v.Int64()
			require.Equal(t, tc.isInt, ok)
			require.Equal(t, tc.n, n)
			require.Equal(t, tc.isInt, v.IsInt())
		})
	}
}

// Hostile values are rejected with ErrBadValue, never a panic.
func TestParseValueHostile(t *testing.T) {
	for _, in := range []string{
		"", " ", "1 ", " 1", "\x00", "1\n", "a;b", "'", `"`, "a/b", "%00", "${x}",
		"<script>", "é", "\xff\xfe", strings.Repeat("9", 65), "a b",
	} {
		_, err := grants.ParseValue(in)
		require.ErrorIs(t, err, grants.ErrBadValue, "%q", in)
	}
}

func TestValueEncoding(t *testing.T) {
	v, err := grants.ParseValue("0x20")
	require.NoError(t, err)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.JSONEq(t, `"0x20"`, string(b))

	var got grants.Value
	require.NoError(t, json.Unmarshal([]byte(`"0x20"`), &got))
	require.Equal(t, v, got)
	require.NoError(t, json.Unmarshal([]byte(`42`), &got))
	require.Equal(t, grants.IntValue(42), got)
	require.ErrorIs(t, json.Unmarshal([]byte(`{"a":1}`), &got), grants.ErrBadValue)
	require.ErrorIs(t, json.Unmarshal([]byte(`"a b"`), &got), grants.ErrBadValue)

	var y struct {
		V grants.Value `yaml:"v"`
	}
	require.NoError(t, yaml.Unmarshal([]byte("v: 0o17\n"), &y))
	require.Equal(t, "0o17", y.V.String())
	n, _ := y.V.Int64()
	require.Equal(t, int64(15), n)
	require.Error(t, yaml.Unmarshal([]byte("v: [1]\n"), &y))
}

func TestParseDefaults(t *testing.T) {
	d, err := grants.ParseDefaults([]byte("b: 2\na: 0x1\nc: text\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"b", "a", "c"}, d.Names(), "document order")
	v, ok := d.Get("a")
	require.True(t, ok)
	require.Equal(t, "0x1", v.String())
	_, ok = d.Get("zz")
	require.False(t, ok)

	out, err := yaml.Marshal(d)
	require.NoError(t, err)
	require.Equal(t, "b: 2\na: 0x1\nc: \"text\"\n", string(out))
	back, err := grants.ParseDefaults(out)
	require.NoError(t, err)
	require.Equal(t, d, back)

	empty, err := grants.ParseDefaults(nil)
	require.NoError(t, err)
	require.Zero(t, empty.Len())

	var cfg struct {
		Defaults grants.Defaults `yaml:"default_grants"`
	}
	require.NoError(t, yaml.Unmarshal([]byte("default_grants:\n  lists: 12\n  ratelimit: 500\n"), &cfg))
	require.Equal(t, []string{"lists", "ratelimit"}, cfg.Defaults.Names())

	m, err := grants.NewDefaults(map[string]string{"z": "1", "a": "2"})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "z"}, m.Names(), "sorted")
}

func TestParseDefaultsHostile(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"list", "- a\n- b\n", "mapping"},
		{"scalar", "5\n", "mapping"},
		{"bad name", "Lists: 1\n", "line 1"},
		{"name with dash", "a-b: 1\n", "bad grant name"},
		{"nested", "a:\n  b: 1\n", "line 2"},
		{"null value", "a:\n", "scalar value"},
		{"bad value", "a: x y\n", "bad grant value"},
		{"duplicate", "a: 1\na: 2\n", ""},
		{"alias bomb", "a: &x 1\nb: *x\n<<: {c: 1}\n", ""},
		{"not yaml", "a: [\n", ""},
		{"key sequence", "? [a]\n: 1\n", "scalar"},
		{"two documents", "a: 1\n---\nb: 2\n", "line 2: more than one YAML document"},
		{"syntax error line", "a: 1\nb: [2\nc: 3\n", "line 2: invalid YAML"},
		{"billion laughs", "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: *b\n", "scalar value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := grants.ParseDefaults([]byte(tc.in))
			require.ErrorIs(t, err, grants.ErrConfig)
			require.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := grants.NewDefaults(map[string]string{"ok": "1", "Bad": "1"})
	require.ErrorIs(t, err, grants.ErrConfig)
	_, err = grants.NewDefaults(map[string]string{"ok": "x y"})
	require.ErrorIs(t, err, grants.ErrBadValue)
}

func TestParseID(t *testing.T) {
	uid, name, err := grants.ParseID("u-B0miQweE:list_size")
	require.NoError(t, err)
	require.Equal(t, "u-B0miQweE", uid)
	require.Equal(t, "list_size", name)
	for _, in := range []string{"", ":", "u-1", "u-1:", ":lists", "u-1:Lists", "u 1:lists", "u-1:lists:", "u-1:li-sts", "\x00:lists"} {
		_, _, err := grants.ParseID(in)
		require.ErrorIs(t, err, grants.ErrBadID, "%q", in)
	}
}

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"50", "0x20", "0o17", "017", "-1", "1_000", "dark", "", "0b", "9223372036854775808", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := grants.ParseValue(s)
		if err != nil {
			return
		}
		if v.String() != s {
			t.Fatalf("String() = %q, want %q", v.String(), s)
		}
		if n, ok := v.Int64(); ok && n != 0 && v.String() == "" {
			t.Fatal("integer from empty string")
		}
	})
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"u-1:lists", "a:b:c", ":", "", "u-1:", "\x00:a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		uid, name, err := grants.ParseID(s)
		if err != nil {
			return
		}
		if uid+":"+name != s {
			t.Fatalf("ParseID(%q) = %q, %q", s, uid, name)
		}
		if grants.ValidName(name) != nil {
			t.Fatalf("invalid name %q accepted", name)
		}
	})
}

func FuzzParseDefaults(f *testing.F) {
	for _, s := range []string{defaultsYAML, "a: 1\n", "- 1\n", "a: &x 1\nb: *x\n", "a: {b: 1}\n", "{}", "~"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := grants.ParseDefaults(data)
		if err != nil {
			return
		}
		for _, name := range d.Names() {
			if grants.ValidName(name) != nil {
				t.Fatalf("invalid name %q accepted", name)
			}
			v, ok := d.Get(name)
			if !ok {
				t.Fatalf("name %q without value", name)
			}
			if _, err := grants.ParseValue(v.String()); err != nil {
				t.Fatalf("invalid value %q accepted", v.String())
			}
		}
	})
}
