package session

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// The sealed session record is a compact binary encoding, not JSON: a
// version byte, then one entry per non-zero field, each a tag byte, the
// uvarint length of its payload and the payload. A decoder skips the tags
// it does not know, so a field added later does not break an instance
// that runs the previous version (it drops the field when it rewrites
// the record, as a JSON decoder would).
//
// To add a field to record (or to refreshState), add the struct field and
// one line to recordFields (refreshFields) with a tag never used before.
// Tags are never reused: a removed field's tag stays reserved.
var recordFields = []field[record]{
	strField(1, func(r *record) *string { return &r.UID }),
	strsField(2, func(r *record) *[]string { return &r.Roles }),
	strsField(3, func(r *record) *[]string { return &r.Scopes }),
	strField(4, func(r *record) *string { return &r.CNonce }),
	mapField(5, func(r *record) *map[string]string { return &r.Values }),
	strField(6, func(r *record) *string { return &r.Method }),
	intField(7, func(r *record) *int64 { return &r.Created }),
	intField(8, func(r *record) *int64 { return &r.Expires }),
	strField(9, func(r *record) *string { return &r.Secret }),
	nestedField(10, refreshFields, func(r *record) **refreshState { return &r.Refresh }),
	strsField(11, func(r *record) *[]string { return &r.AMR }),
	intField(12, func(r *record) *int64 { return &r.Auth }),
	addrField(13, func(r *record) *netip.Addr { return &r.IP }),
	strField(14, func(r *record) *string { return &r.UA }),
}

// refreshFields encode refreshState inside a record (tag 10).
var refreshFields = []field[refreshState]{
	strField(1, func(r *refreshState) *string { return &r.JTI }),
	bytesField(2, func(r *refreshState) *[]byte { return &r.Hash }),
	bytesListField(3, func(r *refreshState) *[][]byte { return &r.Rotated }),
	intField(4, func(r *refreshState) *int64 { return &r.Expires }),
	intField(5, func(r *refreshState) *int64 { return &r.RotatedAt }),
}

// recordVersion is the first byte of an encoded record.
const recordVersion = 1

var errRecordFormat = errors.New("session: malformed record")

// field is one field of a binary-encoded struct T.
type field[T any] struct {
	tag    byte
	isZero func(*T) bool                    // omitted when true
	put    func(b []byte, v *T) []byte      // appends the payload
	get    func(v *T, payload []byte) error // sets the field from its payload
}

// encodeRecord returns the binary encoding of r.
func encodeRecord(r *record) []byte {
	b := make([]byte, 0, 256)
	b = append(b, recordVersion)
	return encodeFields(b, recordFields, r)
}

// decodeRecord decodes p, the output of encodeRecord.
func decodeRecord(p []byte) (*record, error) {
	if len(p) == 0 || p[0] != recordVersion {
		return nil, errRecordFormat
	}
	var r record
	if err := decodeFields(p[1:], recordFields, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func encodeFields[T any](b []byte, fields []field[T], v *T) []byte {
	for _, f := range fields {
		if f.isZero(v) {
			continue
		}
		start := len(b)
		b = append(b, f.tag, 0) // one length byte, widened below if needed
		b = f.put(b, v)
		n := len(b) - start - 2
		if n < 0x80 {
			b[start+1] = byte(n)
			continue
		}
		var lb [binary.MaxVarintLen64]byte
		w := binary.PutUvarint(lb[:], uint64(n))
		b = append(b, lb[:w-1]...) // room for the wider length
		copy(b[start+1+w:], b[start+2:start+2+n])
		copy(b[start+1:], lb[:w])
	}
	return b
}

func decodeFields[T any](p []byte, fields []field[T], v *T) error {
	var seen [4]uint64 // tags seen, a duplicate is malformed
	for len(p) > 0 {
		tag := p[0]
		n, w := binary.Uvarint(p[1:])
		if w <= 0 || n > uint64(len(p)-1-w) {
			return errRecordFormat
		}
		payload := p[1+w : 1+w+int(n)]
		p = p[1+w+int(n):]
		if seen[tag/64]&(1<<(tag%64)) != 0 {
			return errRecordFormat
		}
		seen[tag/64] |= 1 << (tag % 64)
		for _, f := range fields {
			if f.tag == tag {
				if err := f.get(v, payload); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// next splits the length-prefixed item at the start of p from the rest.
func next(p []byte) (item, rest []byte, err error) {
	n, w := binary.Uvarint(p)
	if w <= 0 || n > uint64(len(p)-w) {
		return nil, nil, errRecordFormat
	}
	return p[w : w+int(n)], p[w+int(n):], nil
}

func strField[T any](tag byte, at func(*T) *string) field[T] {
	return field[T]{
		tag:    tag,
		isZero: func(v *T) bool { return *at(v) == "" },
		put:    func(b []byte, v *T) []byte { return append(b, *at(v)...) },
		get:    func(v *T, p []byte) error { *at(v) = string(p); return nil },
	}
}

// addrField encodes an address as its 4 or 16 bytes (no zone).
func addrField[T any](tag byte, at func(*T) *netip.Addr) field[T] {
	return field[T]{
		tag:    tag,
		isZero: func(v *T) bool { return !at(v).IsValid() },
		put:    func(b []byte, v *T) []byte { return append(b, at(v).AsSlice()...) },
		get: func(v *T, p []byte) error {
			ip, ok := netip.AddrFromSlice(p)
			if !ok {
				return errRecordFormat
			}
			*at(v) = ip
			return nil
		},
	}
}

func bytesField[T any](tag byte, at func(*T) *[]byte) field[T] {
	return field[T]{
		tag:    tag,
		isZero: func(v *T) bool { return len(*at(v)) == 0 },
		put:    func(b []byte, v *T) []byte { return append(b, *at(v)...) },
		get:    func(v *T, p []byte) error { *at(v) = append([]byte(nil), p...); return nil },
	}
}

func intField[T any](tag byte, at func(*T) *int64) field[T] {
	return field[T]{
		tag:    tag,
		isZero: func(v *T) bool { return *at(v) == 0 },
		put:    func(b []byte, v *T) []byte { return binary.AppendVarint(b, *at(v)) },
		get: func(v *T, p []byte) error {
			n, w := binary.Varint(p)
			if w <= 0 || w != len(p) {
				return errRecordFormat
			}
			*at(v) = n
			return nil
		},
	}
}

// strsField encodes a list of strings, each length-prefixed.
func strsField[T any](tag byte, at func(*T) *[]string) field[T] {
	return field[T]{
		tag:    tag,
		isZero: func(v *T) bool { return len(*at(v)) == 0 },
		put: func(b []byte, v *T) []byte {
			for _, s := range *at(v) {
				b = appendString(b, s)
			}
			return b
		},
		get: func(v *T, p []byte) error {
			var out []string
			for len(p) > 0 {
				item, rest, err := next(p)
				if err != nil {
					return err
				}
				out, p = append(out, string(item)), rest
			}
			*at(v) = out
			return nil
		},
	}
}

// bytesListField encodes a list of byte strings, each length-prefixed.
func bytesListField[T any](tag byte, at func(*T) *[][]byte) field[T] {
	return field[T]{
		tag:    tag,
		isZero: func(v *T) bool { return len(*at(v)) == 0 },
		put: func(b []byte, v *T) []byte {
			for _, s := range *at(v) {
				b = binary.AppendUvarint(b, uint64(len(s)))
				b = append(b, s...)
			}
			return b
		},
		get: func(v *T, p []byte) error {
			var out [][]byte
			for len(p) > 0 {
				item, rest, err := next(p)
				if err != nil {
					return err
				}
				out, p = append(out, append([]byte(nil), item...)), rest
			}
			*at(v) = out
			return nil
		},
	}
}

// mapField encodes a map as key, value, key, value…, each length-prefixed.
func mapField[T any](tag byte, at func(*T) *map[string]string) field[T] {
	return field[T]{
		tag:    tag,
		isZero: func(v *T) bool { return len(*at(v)) == 0 },
		put: func(b []byte, v *T) []byte {
			for k, x := range *at(v) {
				b = appendString(appendString(b, k), x)
			}
			return b
		},
		get: func(v *T, p []byte) error {
			out := map[string]string{}
			for len(p) > 0 {
				k, rest, err := next(p)
				if err != nil {
					return err
				}
				x, rest, err := next(rest)
				if err != nil {
					return err
				}
				out[string(k)], p = string(x), rest
			}
			*at(v) = out
			return nil
		},
	}
}

// nestedField encodes a pointer to a struct with its own field table; a
// nil pointer is omitted.
func nestedField[T, U any](tag byte, fields []field[U], at func(*T) **U) field[T] {
	return field[T]{
		tag:    tag,
		isZero: func(v *T) bool { return *at(v) == nil },
		put:    func(b []byte, v *T) []byte { return encodeFields(b, fields, *at(v)) },
		get: func(v *T, p []byte) error {
			u := new(U)
			if err := decodeFields(p, fields, u); err != nil {
				return err
			}
			*at(v) = u
			return nil
		},
	}
}
