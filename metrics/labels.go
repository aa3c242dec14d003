package metrics

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Labels are the label values of one series, by label name. Their order
// does not matter: one set of labels is always one series.
type Labels map[string]string

// maxLabelValue bounds a label value, in bytes.
const maxLabelValue = 1024

// ParseLabels reads apicrud-style "name=value" strings (for example
// []string{"resource=person", "method=GET"}), in any order. A string
// without '=', an invalid name or a repeated name is ErrLabel.
func ParseLabels(pairs []string) (Labels, error) {
	l := make(Labels, len(pairs))
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if !ok || !validLabelName(name) {
			return nil, fmt.Errorf("%w: %q is not name=value", ErrLabel, p)
		}
		if _, dup := l[name]; dup {
			return nil, fmt.Errorf("%w: label %q repeated", ErrLabel, name)
		}
		l[name] = value
	}
	return l, nil
}

// encodeSeries returns the canonical key of a series: the declared labels
// (names sorted) as "name=value" joined by ',', with '\', ',', '=' and '|'
// in values escaped by '\'. A label that is not declared is ErrLabel; a
// declared label that is absent has the empty value (as in Prometheus).
func encodeSeries(names []string, labels Labels) (string, error) {
	found := 0
	var b strings.Builder
	for i, n := range names {
		v, ok := labels[n]
		if ok {
			found++
			if len(v) > maxLabelValue || !utf8.ValidString(v) {
				return "", fmt.Errorf("%w: value of %q must be valid UTF-8 of at most %d bytes", ErrLabel, n, maxLabelValue)
			}
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteByte('=')
		for j := 0; j < len(v); j++ {
			switch c := v[j]; c {
			case '\\', ',', '=', '|':
				b.WriteByte('\\')
				b.WriteByte(c)
			default:
				b.WriteByte(c)
			}
		}
	}
	if found != len(labels) {
		for n := range labels {
			if !contains(names, n) {
				return "", fmt.Errorf("%w: label %q is not declared", ErrLabel, n)
			}
		}
	}
	return b.String(), nil
}

func contains(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

var (
	errSeries    = errors.New("metrics: stored series does not match its definition")
	errShortRead = errors.New("metrics: store returned fewer hashes than asked")
)

// decodeSeries parses a series key made by encodeSeries for the declared
// names and returns the values in the order of names. It also returns what
// follows an unescaped '|' (a histogram field's suffix), if any.
func decodeSeries(s string, names []string) (values []string, suffix string, err error) {
	values = make([]string, 0, len(names))
	i := 0
	for k, n := range names {
		if k > 0 {
			if i >= len(s) || s[i] != ',' {
				return nil, "", errSeries
			}
			i++
		}
		if !strings.HasPrefix(s[i:], n+"=") {
			return nil, "", errSeries
		}
		i += len(n) + 1
		start := i
		var v strings.Builder // used only once an escape is seen
		escaped := false
	value:
		for i < len(s) {
			switch c := s[i]; c {
			case '\\':
				if i+1 >= len(s) {
					return nil, "", errSeries
				}
				if !escaped {
					escaped = true
					v.WriteString(s[start:i])
				}
				v.WriteByte(s[i+1])
				i += 2
			case ',', '|':
				break value
			case '=':
				return nil, "", errSeries
			default:
				if escaped {
					v.WriteByte(c)
				}
				i++
			}
		}
		val := s[start:i] // no escape: a substring, no copy
		if escaped {
			val = v.String()
		}
		if !utf8.ValidString(val) {
			return nil, "", errSeries
		}
		values = append(values, val)
	}
	if i < len(s) {
		if s[i] != '|' {
			return nil, "", errSeries
		}
		suffix = s[i+1:]
	}
	return values, suffix, nil
}
