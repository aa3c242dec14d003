package crud

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
	"time"
)

// codecVersion is the first byte of every encoded record.
const codecVersion = 1

// errCodec reports cached bytes that do not decode into a record of the
// model: corrupt, or written by another version of the record type. Cached
// treats them as a miss.
var errCodec = errors.New("crud: cached record does not decode")

// codec encodes every column of a record (hidden fields included, JSON
// names ignored) in a compact binary form:
//
//	version byte, 8-byte schema fingerprint (big endian), then per column
//	in model order: 0 (NULL: nil pointer or nil []byte) or 1 followed by
//	the value: strings and []byte as uvarint length + bytes, signed
//	integers as varint, unsigned as uvarint, floats as 8 bytes, bools as
//	one byte, times as uvarint length + time.Time binary form, other types
//	as uvarint length + their JSON encoding.
//
// The fingerprint covers the resource name, the table, and each column's
// name and Go type, so an instance running another version of the record
// type reads the entry as a miss instead of misreading it.
type codec struct {
	fields []*field
	sum    uint64
}

func newCodec(name, table string, m *model) codec {
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(table))
	for _, f := range m.fields {
		h.Write([]byte{0})
		h.Write([]byte(f.column))
		h.Write([]byte{0})
		h.Write([]byte(f.typ.String()))
	}
	return codec{fields: m.fields, sum: h.Sum64()}
}

// encode appends the encoding of rec (an addressable struct value) to buf.
func (c codec) encode(buf []byte, rec reflect.Value) ([]byte, error) {
	buf = append(buf, codecVersion)
	buf = binary.BigEndian.AppendUint64(buf, c.sum)
	for _, f := range c.fields {
		v := rec.FieldByIndex(f.index)
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				buf = append(buf, 0)
				continue
			}
			v = v.Elem()
		} else if f.kind == kindBytes && v.IsNil() {
			buf = append(buf, 0)
			continue
		}
		buf = append(buf, 1)
		switch f.kind {
		case kindString:
			s := v.String()
			buf = binary.AppendUvarint(buf, uint64(len(s)))
			buf = append(buf, s...)
		case kindInt:
			buf = binary.AppendVarint(buf, v.Int())
		case kindUint:
			buf = binary.AppendUvarint(buf, v.Uint())
		case kindFloat:
			buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(v.Float()))
		case kindBool:
			b := byte(0)
			if v.Bool() {
				b = 1
			}
			buf = append(buf, b)
		case kindBytes:
			b := v.Bytes()
			buf = binary.AppendUvarint(buf, uint64(len(b)))
			buf = append(buf, b...)
		case kindTime:
			t, ok := v.Interface().(time.Time)
			if !ok {
				return nil, fmt.Errorf("crud: cache: field %s is not a time.Time", f.goName)
			}
			tb, err := t.MarshalBinary()
			if err != nil {
				return nil, fmt.Errorf("crud: cache: field %s: %w", f.goName, err)
			}
			buf = binary.AppendUvarint(buf, uint64(len(tb)))
			buf = append(buf, tb...)
		default:
			j, err := json.Marshal(v.Addr().Interface())
			if err != nil {
				return nil, fmt.Errorf("crud: cache: field %s: %w", f.goName, err)
			}
			buf = binary.AppendUvarint(buf, uint64(len(j)))
			buf = append(buf, j...)
		}
	}
	return buf, nil
}

// decode fills rec (an addressable zero struct value) from data. Any
// malformed input is errCodec; decode never panics on input.
func (c codec) decode(data []byte, rec reflect.Value) error {
	if len(data) < 9 || data[0] != codecVersion || binary.BigEndian.Uint64(data[1:9]) != c.sum {
		return errCodec
	}
	d := data[9:]
	for _, f := range c.fields {
		if len(d) == 0 {
			return errCodec
		}
		present := d[0]
		d = d[1:]
		v := rec.FieldByIndex(f.index)
		switch present {
		case 0:
			if v.Kind() != reflect.Pointer && f.kind != kindBytes {
				return errCodec
			}
			continue // the zero value: nil
		case 1:
		default:
			return errCodec
		}
		if v.Kind() == reflect.Pointer {
			p := reflect.New(f.base)
			v.Set(p)
			v = p.Elem()
		}
		var ok bool
		if d, ok = decodeField(f, v, d); !ok {
			return errCodec
		}
	}
	if len(d) != 0 {
		return errCodec
	}
	return nil
}

// chunk splits a length-prefixed chunk off d.
func chunk(d []byte) (b, rest []byte, ok bool) {
	n, k := binary.Uvarint(d)
	if k <= 0 || n > uint64(len(d)-k) {
		return nil, nil, false
	}
	return d[k : k+int(n)], d[k+int(n):], true
}

// decodeField sets v (the field f, pointer resolved) from the head of d and
// returns the rest; ok is false for malformed input.
func decodeField(f *field, v reflect.Value, d []byte) ([]byte, bool) {
	switch f.kind {
	case kindInt:
		n, k := binary.Varint(d)
		if k <= 0 || v.OverflowInt(n) {
			return nil, false
		}
		v.SetInt(n)
		return d[k:], true
	case kindUint:
		n, k := binary.Uvarint(d)
		if k <= 0 || v.OverflowUint(n) {
			return nil, false
		}
		v.SetUint(n)
		return d[k:], true
	case kindFloat:
		if len(d) < 8 {
			return nil, false
		}
		v.SetFloat(math.Float64frombits(binary.BigEndian.Uint64(d)))
		return d[8:], true
	case kindBool:
		if len(d) < 1 || d[0] > 1 {
			return nil, false
		}
		v.SetBool(d[0] == 1)
		return d[1:], true
	}
	b, rest, ok := chunk(d)
	if !ok {
		return nil, false
	}
	switch f.kind {
	case kindString:
		v.SetString(string(b))
	case kindBytes:
		v.SetBytes(append(make([]byte, 0, len(b)), b...))
	case kindTime:
		var t time.Time
		if err := t.UnmarshalBinary(b); err != nil {
			return nil, false
		}
		v.Set(reflect.ValueOf(t))
	default:
		if err := json.Unmarshal(b, v.Addr().Interface()); err != nil {
			return nil, false
		}
	}
	return rest, true
}
