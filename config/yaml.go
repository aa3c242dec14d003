package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/apicrud-go/apicrud/internal/strictyaml"
)

// parseYAML applies a YAML document: a flat mapping of keys to scalars,
// sequences of scalars, or mappings of names to scalars.
func (l *loader) parseYAML(path string, data []byte) {
	fileErr := func(line int, err error) {
		l.errs = append(l.errs, &KeyError{Source: "file", File: path, Line: line, Err: err})
	}
	root, err := strictyaml.Parse(path, trimBOM(data))
	if err != nil {
		line := 0
		var se *strictyaml.Error
		if errors.As(err, &se) {
			line, err = se.Line, errors.New(se.Msg)
		}
		fileErr(line, fmt.Errorf("%w: %w", ErrSyntax, err))
		return
	}
	if root == nil {
		return // an empty file, or comments only, keeps every default
	}
	if root.Kind != yaml.MappingNode {
		fileErr(root.Line, fmt.Errorf("%w: the file must be a mapping of keys to values", ErrSyntax))
		return
	}
	if root.Anchor != "" {
		fileErr(root.Line, fmt.Errorf("%w: anchors and aliases are not supported", ErrSyntax))
		return
	}
	seen := make(map[string]int, len(root.Content)/2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		kn, vn := root.Content[i], root.Content[i+1]
		if kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" {
			fileErr(kn.Line, fmt.Errorf("%w: keys must be plain strings", ErrSyntax))
			continue
		}
		key := kn.Value
		if first, dup := seen[key]; dup {
			l.errs = append(l.errs, &KeyError{Key: key, Source: "file", File: path, Line: kn.Line,
				Err: fmt.Errorf("%w: duplicate key (first on line %d)", ErrSyntax, first)})
			continue
		}
		seen[key] = kn.Line
		f := l.byKey[key]
		if f == nil {
			l.errs = append(l.errs, &KeyError{Key: key, Source: "file", File: path, Line: kn.Line,
				Err: fmt.Errorf("%w%s", ErrUnknownKey, l.suggest(key))})
			continue
		}
		f.setSource("file", path, kn.Line, "")
		v, err := f.parseNode(vn)
		if err != nil {
			f.srcLine = vn.Line
			l.fail(f, err)
			continue
		}
		f.assign(v)
		l.resolvePath(f)
	}
}

func hasAnchor(n *yaml.Node) bool { return n.Kind == yaml.AliasNode || n.Anchor != "" }

// parseNode converts a YAML value node to the field's type, strictly: a
// quoted "8" is not an integer and an unquoted 8 is not a string.
func (f *field) parseNode(n *yaml.Node) (reflect.Value, error) {
	if hasAnchor(n) {
		return reflect.Value{}, fmt.Errorf("%w: anchors and aliases are not supported", ErrSyntax)
	}
	switch f.typ.Kind() {
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return reflect.Value{}, f.typeErr(describeNode(n, f.isSecret()))
		}
		out := reflect.MakeSlice(f.typ, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := f.scalarNode(f.typ.Elem(), item)
			if err != nil {
				return reflect.Value{}, err
			}
			out = reflect.Append(out, v)
		}
		return out, nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return reflect.Value{}, f.typeErr(describeNode(n, f.isSecret()))
		}
		out := f.startMap(true) // a file entry replaces one default entry
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			if hasAnchor(kn) || kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" || kn.Value == "" {
				return reflect.Value{}, fmt.Errorf("%w: line %d: map keys must be non-empty plain strings", ErrType, kn.Line)
			}
			if seen[kn.Value] {
				return reflect.Value{}, fmt.Errorf("%w: line %d: duplicate map key %q", ErrSyntax, kn.Line, kn.Value)
			}
			seen[kn.Value] = true
			v, err := f.scalarNode(f.typ.Elem(), vn)
			if err != nil {
				return reflect.Value{}, err
			}
			out.SetMapIndex(reflect.ValueOf(kn.Value).Convert(f.typ.Key()), v)
		}
		return out, nil
	}
	return f.scalarNode(f.typ, n)
}

func describeNode(n *yaml.Node, secret bool) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null (remove the key to keep the default)"
		}
		if secret {
			return strings.TrimPrefix(n.ShortTag(), "!!")
		}
		v := n.Value
		if len(v) > 64 {
			v = v[:64] + "..."
		}
		return fmt.Sprintf("%s %s", strings.TrimPrefix(n.ShortTag(), "!!"), strconv.Quote(v))
	}
	return "an unsupported node"
}

func (f *field) scalarNode(t reflect.Type, n *yaml.Node) (reflect.Value, error) {
	bad := func() (reflect.Value, error) {
		return reflect.Value{}, fmt.Errorf("%w: want %s, got %s", ErrType, typeName(t), describeNode(n, f.isSecret()))
	}
	if hasAnchor(n) {
		return reflect.Value{}, fmt.Errorf("%w: anchors and aliases are not supported", ErrSyntax)
	}
	if n.Kind != yaml.ScalarNode {
		return bad()
	}
	tag := n.ShortTag()
	v := reflect.New(t).Elem()
	switch {
	case t == durationType:
		if tag == "!!int" && n.Value == "0" {
			return v, nil
		}
		if tag != "!!str" {
			return bad()
		}
		d, err := time.ParseDuration(n.Value)
		if err != nil {
			return bad()
		}
		v.SetInt(int64(d))
	case t.Kind() == reflect.String:
		if tag != "!!str" {
			return bad()
		}
		v.SetString(n.Value)
	case t.Kind() == reflect.Bool:
		if tag != "!!bool" {
			return bad()
		}
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			return bad()
		}
		v.SetBool(b)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		if tag != "!!int" {
			return bad()
		}
		x, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, t.Bits())
		if err != nil {
			return bad()
		}
		v.SetInt(x)
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		if tag != "!!int" {
			return bad()
		}
		x, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, t.Bits())
		if err != nil {
			return bad()
		}
		v.SetUint(x)
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		if tag != "!!float" && tag != "!!int" {
			return bad()
		}
		x, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), t.Bits())
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return bad()
		}
		v.SetFloat(x)
	default:
		return bad()
	}
	return v, nil
}
