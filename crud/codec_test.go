package crud

import (
	"database/sql"
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type level string

// codecRecord has a field of every kind the cache codec encodes.
type codecRecord struct {
	ID      string            `db:"id" json:"id"`
	Level   level             `db:"level" json:"level"`
	Note    *string           `db:"note" json:"note"`
	I8      int8              `db:"i8" json:"i8"`
	I64     int64             `db:"i64" json:"i64"`
	PI      *int              `db:"pi" json:"pi"`
	U16     uint16            `db:"u16" json:"u16"`
	F32     float32           `db:"f32" json:"f32"`
	F64     float64           `db:"f64" json:"f64"`
	B       bool              `db:"b" json:"b"`
	PB      *bool             `db:"pb" json:"pb"`
	Raw     []byte            `db:"raw" json:"raw"`
	At      time.Time         `db:"at" json:"at"`
	PAt     *time.Time        `db:"pat" json:"pat"`
	Null    sql.NullString    `db:"null_s" json:"null_s"`
	Attrs   map[string]string `db:"attrs" json:"attrs"`
	Secret  string            `db:"secret" json:"-"`
	Ignored string            `json:"ignored"`
}

func codecFor(t testing.TB) codec {
	t.Helper()
	m, err := parseModel(reflect.TypeFor[codecRecord](), dialectSQLite, "rec")
	require.NoError(t, err)
	return newCodec("rec", "rec", m)
}

func roundTrip(t *testing.T, c codec, in codecRecord) codecRecord {
	t.Helper()
	data, err := c.encode(nil, reflect.ValueOf(&in).Elem())
	require.NoError(t, err)
	var out codecRecord
	require.NoError(t, c.decode(data, reflect.ValueOf(&out).Elem()))
	return out
}

func TestCodecRoundTrip(t *testing.T) {
	c := codecFor(t)
	at := time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.FixedZone("X", -7*3600))
	cases := map[string]codecRecord{
		"zero": {},
		"full": {ID: "x-1", Level: "member", Note: ptrTo("ünïcode \x00 nul"), I8: math.MinInt8, I64: math.MaxInt64,
			PI: ptrTo(-1), U16: math.MaxUint16, F32: -1.5, F64: math.Inf(-1), B: true, PB: ptrTo(false),
			Raw: []byte{0, 0xff}, At: at, PAt: ptrTo(at.UTC()), Null: sql.NullString{String: "s", Valid: true},
			Attrs: map[string]string{"a": "b"}, Secret: "hidden"},
		"empty not nil": {Note: ptrTo(""), PI: ptrTo(0), Raw: []byte{}, PAt: &time.Time{}, Attrs: map[string]string{}},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out := roundTrip(t, c, in)
			require.True(t, in.At.Equal(out.At))
			in.At, out.At = time.Time{}, time.Time{}
			if in.PAt != nil {
				require.True(t, in.PAt.Equal(*out.PAt))
				in.PAt, out.PAt = nil, nil
			}
			require.Equal(t, in, out)
		})
	}
	out := roundTrip(t, c, codecRecord{Ignored: "not a column"})
	require.Empty(t, out.Ignored, "fields without a db tag are not cached")
	nan := roundTrip(t, c, codecRecord{F64: math.NaN()})
	require.True(t, math.IsNaN(nan.F64))
}

func ptrTo[V any](v V) *V { return &v }

// Single-column records for decoding tests that target one branch.
type (
	oneString struct {
		S string `db:"s"`
	}
	oneInt8 struct {
		I int8 `db:"i"`
	}
	oneInt64 struct {
		I int64 `db:"i"`
	}
	oneUint8 struct {
		U uint8 `db:"u"`
	}
	oneFloat struct {
		F float64 `db:"f"`
	}
	oneBool struct {
		B bool `db:"b"`
	}
	oneTime struct {
		T time.Time `db:"t"`
	}
	oneMap struct {
		M map[string]int `db:"m"`
	}
	onePtr struct {
		P *string `db:"p"`
	}
)

// decodeAs decodes header+body as a record of type R.
func decodeAs[R any](t *testing.T, body ...byte) error {
	t.Helper()
	m, err := parseModel(reflect.TypeFor[R](), dialectSQLite, "r")
	require.NoError(t, err)
	c := newCodec("r", "r", m)
	var zero R
	valid, err := c.encode(nil, reflect.ValueOf(&zero).Elem())
	require.NoError(t, err)
	var out R
	return c.decode(append(valid[:9:9], body...), reflect.ValueOf(&out).Elem())
}

// TestCodecHostile: malformed entries (corrupt or foreign bytes in Redis)
// are errCodec, never a panic or a partial record passed as valid.
func TestCodecHostile(t *testing.T) {
	c := codecFor(t)
	valid, err := c.encode(nil, reflect.ValueOf(&codecRecord{ID: "x-1", Note: ptrTo("n"), Raw: []byte{1}}).Elem())
	require.NoError(t, err)
	var out codecRecord
	require.NoError(t, c.decode(valid, reflect.ValueOf(&out).Elem()), "the valid entry the cases corrupt")
	whole := map[string][]byte{
		"empty":             {},
		"short header":      valid[:5],
		"wrong version":     append([]byte{codecVersion + 1}, valid[1:]...),
		"wrong fingerprint": append([]byte{codecVersion, 1, 2, 3, 4, 5, 6, 7, 8}, valid[9:]...),
		"header only":       valid[:9],
		"truncated":         valid[:len(valid)-1],
		"trailing byte":     append(append([]byte{}, valid...), 0),
	}
	for name, data := range whole {
		t.Run(name, func(t *testing.T) {
			var out codecRecord
			require.ErrorIs(t, c.decode(data, reflect.ValueOf(&out).Elem()), errCodec)
		})
	}
	huge := binary.AppendUvarint(nil, math.MaxUint64)
	branches := map[string]func(t *testing.T) error{
		"valid string (control)":  func(t *testing.T) error { return decodeAs[oneString](t, 1, 1, 'a') },
		"valid pointer (control)": func(t *testing.T) error { return decodeAs[onePtr](t, 0) },
		"presence byte 2":         func(t *testing.T) error { return decodeAs[oneString](t, 2, 0) },
		"NULL for a string":       func(t *testing.T) error { return decodeAs[oneString](t, 0) },
		"length beyond data":      func(t *testing.T) error { return decodeAs[oneString](t, 1, 10, 'a') },
		"huge length":             func(t *testing.T) error { return decodeAs[oneString](t, append([]byte{1}, huge...)...) },
		"unterminated length":     func(t *testing.T) error { return decodeAs[oneString](t, 1, 0x80) },
		"int8 overflow": func(t *testing.T) error {
			return decodeAs[oneInt8](t, append([]byte{1}, binary.AppendVarint(nil, 300)...)...)
		},
		"overlong varint": func(t *testing.T) error {
			return decodeAs[oneInt64](t, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)
		},
		"uint8 overflow": func(t *testing.T) error {
			return decodeAs[oneUint8](t, append([]byte{1}, binary.AppendUvarint(nil, 256)...)...)
		},
		"short float":          func(t *testing.T) error { return decodeAs[oneFloat](t, 1, 0, 0, 0) },
		"bool 2":               func(t *testing.T) error { return decodeAs[oneBool](t, 1, 2) },
		"missing bool":         func(t *testing.T) error { return decodeAs[oneBool](t, 1) },
		"bad time":             func(t *testing.T) error { return decodeAs[oneTime](t, 1, 3, 9, 9, 9) },
		"bad JSON":             func(t *testing.T) error { return decodeAs[oneMap](t, 1, 1, '{') },
		"JSON of another type": func(t *testing.T) error { return decodeAs[oneMap](t, 1, 3, '"', 'x', '"') },
	}
	for name, fn := range branches {
		t.Run(name, func(t *testing.T) {
			err := fn(t)
			if strings.HasSuffix(name, "(control)") {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, errCodec)
		})
	}
}

func FuzzCodecDecode(f *testing.F) {
	c := codecFor(f)
	for _, rec := range []codecRecord{{}, {ID: "x", Note: ptrTo("n"), PI: ptrTo(3), Raw: []byte{1, 2}, At: time.Unix(1e9, 5),
		Attrs: map[string]string{"k": "v"}, Null: sql.NullString{String: "s", Valid: true}}} {
		data, err := c.encode(nil, reflect.ValueOf(&rec).Elem())
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out codecRecord
		if c.decode(data, reflect.ValueOf(&out).Elem()) != nil {
			return
		}
		// What decodes re-encodes to an entry that decodes to the same record.
		again, err := c.encode(nil, reflect.ValueOf(&out).Elem())
		if err != nil {
			return // e.g. a NaN inside a JSON-encoded field
		}
		var out2 codecRecord
		require.NoError(t, c.decode(again, reflect.ValueOf(&out2).Elem()))
		again2, err := c.encode(nil, reflect.ValueOf(&out2).Elem())
		require.NoError(t, err)
		require.Equal(t, again, again2)
	})
}
