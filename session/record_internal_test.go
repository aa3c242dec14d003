package session

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fill sets every field of the struct v points to a non-zero value built
// from seed, recursing into pointers to structs, so that a field left out
// of the codec tables fails the round trip below.
func fill(t *testing.T, v reflect.Value, seed string) {
	t.Helper()
	for i := range v.NumField() {
		f, name := v.Field(i), seed+v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.String:
			f.SetString(name + " ü\x00" + strings.Repeat("x", 130)) // a length over 127 takes two bytes
		case reflect.Int64:
			f.SetInt(-int64(len(name)) * 1_700_000_000_123)
		case reflect.Slice:
			switch f.Type().Elem().Kind() {
			case reflect.String:
				f.Set(reflect.ValueOf([]string{name + "-a", "", name + "-c"}))
			case reflect.Uint8:
				f.Set(reflect.ValueOf([]byte(name)))
			case reflect.Slice:
				f.Set(reflect.ValueOf([][]byte{[]byte(name + "1"), []byte(name + "2")}))
			default:
				t.Fatalf("field %s: add its kind to fill", name)
			}
		case reflect.Map:
			f.Set(reflect.ValueOf(map[string]string{name: "v", "k2": strings.Repeat("y", 300)}))
		case reflect.Struct:
			if f.Type() != reflect.TypeFor[netip.Addr]() {
				t.Fatalf("field %s of type %s: add it to fill", name, f.Type())
			}
			f.Set(reflect.ValueOf(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(len(name))})))
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			fill(t, p.Elem(), name)
			f.Set(p)
		default:
			t.Fatalf("field %s of kind %s: add it to fill", name, f.Kind())
		}
	}
}

// TestRecordRoundTrip: every field of record and refreshState survives
// encoding. A field added to either struct without its line in
// recordFields or refreshFields fails here.
func TestRecordRoundTrip(t *testing.T) {
	var r record
	fill(t, reflect.ValueOf(&r).Elem(), "")
	got, err := decodeRecord(encodeRecord(&r))
	require.NoError(t, err)
	require.Equal(t, &r, got)

	empty, err := decodeRecord(encodeRecord(&record{}))
	require.NoError(t, err)
	require.Equal(t, &record{}, empty)
	require.Equal(t, []byte{recordVersion}, encodeRecord(&record{}))
}

// TestRecordTagsUnique: the tags of each table are distinct.
func TestRecordTagsUnique(t *testing.T) {
	seen := map[byte]bool{}
	for _, f := range recordFields {
		require.False(t, seen[f.tag], "record tag %d used twice", f.tag)
		seen[f.tag] = true
	}
	seen = map[byte]bool{}
	for _, f := range refreshFields {
		require.False(t, seen[f.tag], "refreshState tag %d used twice", f.tag)
		seen[f.tag] = true
	}
}

// TestRecordUnknownTag: a field written by a later version (a tag this one
// does not know) is skipped, the rest decodes.
func TestRecordUnknownTag(t *testing.T) {
	b := encodeRecord(&record{UID: "u-1", Created: 5})
	b = append(b, 200, 3, 'a', 'b', 'c')
	b = append(b, encodeFields(nil, recordFields, &record{Method: "password"})...)
	r, err := decodeRecord(b)
	require.NoError(t, err)
	require.Equal(t, &record{UID: "u-1", Created: 5, Method: "password"}, r)
}

// TestRecordHostile: malformed encodings are errors, never a panic.
func TestRecordHostile(t *testing.T) {
	valid := encodeRecord(&record{UID: "u-1", Roles: []string{"user"}, Values: map[string]string{"a": "b"}, Refresh: &refreshState{JTI: "j"}})
	for i, p := range [][]byte{
		nil, {}, {0}, {2}, {'{'}, []byte(`{"u":"u-1"}`),
		{recordVersion, 1},                    // tag without length
		{recordVersion, 1, 5, 'a'},            // length past the end
		{recordVersion, 1, 0xff},              // unterminated uvarint
		{recordVersion, 7, 1, 0x80},           // int payload: unterminated varint
		{recordVersion, 7, 2, 1, 1},           // int payload: trailing byte
		{recordVersion, 2, 2, 5, 'a'},         // list item past its payload
		{recordVersion, 5, 2, 1, 'k'},         // map key without value
		{recordVersion, 10, 2, 1, 9},          // nested: length past the end
		{recordVersion, 1, 1, 'a', 1, 1, 'b'}, // duplicate tag
		{recordVersion, 13, 3, 192, 0, 2},     // an address of 3 bytes
		{recordVersion, 13, 0},                // an empty address
		valid[:len(valid)-1],
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			_, err := decodeRecord(p)
			require.Error(t, err)
		})
	}
}

// FuzzDecodeRecord: no input panics, and whatever decodes re-encodes to
// something that decodes to the same record.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(&record{UID: "u-1", Roles: []string{"user"}, Values: map[string]string{"a": "b"}, Refresh: &refreshState{JTI: "j", Rotated: [][]byte{{1}}}}))
	f.Add([]byte{recordVersion, 1, 0x80, 1})
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := decodeRecord(p)
		if err != nil {
			return
		}
		again, err := decodeRecord(encodeRecord(r))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalize(r), normalize(again)) {
			t.Fatalf("round trip changed %+v into %+v", r, again)
		}
	})
}

// normalize maps empty collections to nil (the encoding omits them).
func normalize(r *record) *record {
	c := *r
	if len(c.Roles) == 0 {
		c.Roles = nil
	}
	if len(c.Scopes) == 0 {
		c.Scopes = nil
	}
	if len(c.Values) == 0 {
		c.Values = nil
	}
	if c.Refresh != nil {
		rs := *c.Refresh
		if len(rs.Hash) == 0 {
			rs.Hash = nil
		}
		if len(rs.Rotated) == 0 {
			rs.Rotated = nil
		}
		c.Refresh = &rs
	}
	return &c
}
