package grants

import (
	"encoding/json"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxValueLen is the longest grant value accepted (apicrud's column width).
const maxValueLen = 64

// Value is a grant value. It keeps the string it was written as (for
// display: "0x20" stays "0x20") and, when that string is an integer, its
// number. Integers are read as Go integer literals by strconv.ParseInt with
// base 0: decimal ("50"), hexadecimal ("0x20"), octal ("0o17" or "017"),
// binary ("0b101"), with an optional sign and underscores between digits
// ("1_000"). Anything else (including integers that overflow int64) is a
// string value. The zero Value is the empty string.
//
// Value marshals to JSON and YAML as its original string.
type Value struct {
	s     string
	n     int64
	isInt bool
}

// ParseValue validates s as a grant value (1 to 64 characters of
// [A-Za-z0-9@_.+-]) and returns it. A value outside that alphabet is
// ErrBadValue.
func ParseValue(s string) (Value, error) {
	if err := validValue(s); err != nil {
		return Value{}, err
	}
	return valueOf(s), nil
}

// IntValue returns the Value of n, written in decimal.
func IntValue(n int64) Value {
	return Value{s: strconv.FormatInt(n, 10), n: n, isInt: true}
}

// valueOf interprets s without validating it: stored rows written by other
// programs are shown as they are, never rejected.
func valueOf(s string) Value {
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return Value{s: s}
	}
	return Value{s: s, n: n, isInt: true}
}

func validValue(s string) error {
	if s == "" || len(s) > maxValueLen {
		return fmt.Errorf("%w: %q: want 1 to %d characters", ErrBadValue, s, maxValueLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '@', c == '_', c == '.', c == '+', c == '-':
		default:
			return fmt.Errorf("%w: %q: character %q not allowed", ErrBadValue, s, c)
		}
	}
	return nil
}

// String returns the value as it was written.
func (v Value) String() string { return v.s }

// Int64 returns the integer value and true, or 0 and false for a value that
// is not an integer.
func (v Value) Int64() (int64, bool) { return v.n, v.isInt }

// IsInt reports whether the value is an integer.
func (v Value) IsInt() bool { return v.isInt }

// MarshalText returns the original string.
func (v Value) MarshalText() ([]byte, error) { return []byte(v.s), nil }

// UnmarshalText parses text with ParseValue.
func (v *Value) UnmarshalText(text []byte) error {
	p, err := ParseValue(string(text))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// MarshalJSON returns the original string as a JSON string.
func (v Value) MarshalJSON() ([]byte, error) { return json.Marshal(v.s) }

// UnmarshalJSON accepts a JSON string or a JSON integer.
func (v *Value) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		var n json.Number
		if err2 := json.Unmarshal(data, &n); err2 != nil {
			return fmt.Errorf("%w: %s is neither a string nor a number", ErrBadValue, data)
		}
		s = n.String()
	}
	return v.UnmarshalText([]byte(s))
}

// UnmarshalYAML accepts a scalar. The literal text is kept, so 0x20 in a
// YAML file stays "0x20".
func (v *Value) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: line %d: want a scalar", ErrBadValue, node.Line)
	}
	p, err := ParseValue(node.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", node.Line, err)
	}
	*v = p
	return nil
}
