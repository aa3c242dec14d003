package config

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

var (
	durationType = reflect.TypeFor[time.Duration]()
	secretType   = reflect.TypeFor[Secret]()
)

// field is one configuration key bound to a settable struct field.
type field struct {
	key     string
	env     string
	aliases []string
	v       reflect.Value
	typ     reflect.Type
	secret  string // "", "true", "required", "url"
	min     string
	max     string
	enum    []string
	path    bool
	doc     string

	source                   string // for Config.Source
	srcKind, srcFile, srcEnv string
	srcLine                  int
}

func (f *field) setSource(kind, file string, line int, env string) {
	f.srcKind, f.srcFile, f.srcLine, f.srcEnv = kind, file, line, env
	switch kind {
	case "file":
		f.source = fmt.Sprintf("file %s:%d", file, line)
	case "env":
		f.source = "env " + env
	default:
		f.source = kind
	}
}

func (f *field) isSecret() bool { return f.secret != "" || f.typ == secretType }

// addFields registers the exported fields of the struct v. For the host
// struct, the embedded Config is skipped and keys default to snake_case.
func (l *loader) addFields(v reflect.Value, host bool) error {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if host && sf.Anonymous && sf.Type == configType {
			continue
		}
		if !sf.IsExported() {
			continue
		}
		key, ok := sf.Tag.Lookup("config")
		if key == "-" {
			continue
		}
		if !ok || key == "" {
			key = snakeCase(sf.Name)
		}
		if !validKey(key) {
			return fmt.Errorf("%w: %s.%s: key %q: use lower-case letters, digits and _", ErrSchema, t, sf.Name, key)
		}
		if l.byKey[key] != nil {
			return fmt.Errorf("%w: %s.%s: key %q is already declared", ErrSchema, t, sf.Name, key)
		}
		if err := supported(sf.Type); err != nil {
			return fmt.Errorf("%w: %s.%s (key %q): %v", ErrSchema, t, sf.Name, key, err)
		}
		f := &field{
			key:    key,
			env:    l.prefix + strings.ToUpper(key),
			v:      v.Field(i),
			typ:    sf.Type,
			secret: sf.Tag.Get("secret"),
			min:    sf.Tag.Get("min"),
			max:    sf.Tag.Get("max"),
			path:   sf.Tag.Get("path") == "true",
			doc:    sf.Tag.Get("doc"),
			source: "default",
		}
		f.srcKind = "default"
		switch f.secret {
		case "", "true", "required", "url":
		default:
			return fmt.Errorf("%w: %s.%s: secret tag %q: want true, required or url", ErrSchema, t, sf.Name, f.secret)
		}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		if a := sf.Tag.Get("env"); a != "" {
			f.aliases = strings.Split(a, ",")
		}
		for _, bound := range []string{f.min, f.max} {
			if bound == "" {
				continue
			}
			if _, err := f.bound(bound); err != nil {
				return fmt.Errorf("%w: %s.%s: bound %q: %v", ErrSchema, t, sf.Name, bound, err)
			}
		}
		if d, ok := sf.Tag.Lookup("default"); ok && host {
			val, err := f.parseString(d, false)
			if err != nil {
				return fmt.Errorf("%w: %s.%s: default %q: %v", ErrSchema, t, sf.Name, d, err)
			}
			f.v.Set(val)
		}
		l.fields = append(l.fields, f)
		l.byKey[key] = f
	}
	return nil
}

func validKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// snakeCase turns SMTPHost into smtp_host and PublicURL into public_url.
func snakeCase(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
				(i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func supported(t reflect.Type) error {
	switch {
	case isScalar(t):
		return nil
	case t.Kind() == reflect.Slice && isScalar(t.Elem()):
		return nil
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && isScalar(t.Elem()):
		return nil
	}
	return fmt.Errorf("unsupported type %s", t)
}

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return `a duration such as "15m" or "1h30m"`
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean (true or false)"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "an integer"
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		return "a non-negative integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Slice:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(typeName(t.Elem()), "a "), "an ") + "s"
	case t.Kind() == reflect.Map:
		return "a mapping of names to " + strings.TrimPrefix(strings.TrimPrefix(typeName(t.Elem()), "a "), "an ") + "s"
	}
	return t.String()
}

func kindName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration"
	case t == secretType:
		return "secret"
	case t.Kind() == reflect.Slice:
		return "list"
	case t.Kind() == reflect.Map:
		return "map"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "int"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "float"
	}
	return t.Kind().String()
}

// quote shows a rejected value in an error, unless it is a secret.
func (f *field) quote(s string) string {
	if f.isSecret() {
		return "(value hidden)"
	}
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}

func (f *field) typeErr(got string) error {
	return fmt.Errorf("%w: want %s, got %s", ErrType, typeName(f.typ), got)
}

// parseString parses an environment value, a default tag or a string given
// to Set. Lists are comma-separated; maps are name=value pairs separated by
// commas. With merge, a map is merged into the current one.
func (f *field) parseString(s string, merge bool) (reflect.Value, error) {
	switch f.typ.Kind() {
	case reflect.Slice:
		out := reflect.MakeSlice(f.typ, 0, 4)
		for item := range strings.SplitSeq(s, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			v, err := parseScalar(f.typ.Elem(), item)
			if err != nil {
				return reflect.Value{}, f.typeErr(f.quote(s))
			}
			out = reflect.Append(out, v)
		}
		return out, nil
	case reflect.Map:
		out := f.startMap(merge)
		for item := range strings.SplitSeq(s, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			k, val, ok := strings.Cut(item, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return reflect.Value{}, f.typeErr(f.quote(s) + ` (want name=value,name=value)`)
			}
			v, err := parseScalar(f.typ.Elem(), strings.TrimSpace(val))
			if err != nil {
				return reflect.Value{}, f.typeErr(f.quote(s))
			}
			out.SetMapIndex(reflect.ValueOf(k), v)
		}
		return out, nil
	}
	v, err := parseScalar(f.typ, s)
	if err != nil {
		return reflect.Value{}, f.typeErr(f.quote(s))
	}
	return v, nil
}

// startMap returns a fresh map, holding the current entries when merge.
func (f *field) startMap(merge bool) reflect.Value {
	out := reflect.MakeMap(f.typ)
	if merge && !f.v.IsNil() {
		iter := f.v.MapRange()
		for iter.Next() {
			out.SetMapIndex(iter.Key(), iter.Value())
		}
	}
	return out
}

func (f *field) assign(v reflect.Value) { f.v.Set(v) }

// parseScalar parses s as a value of the scalar type t.
func parseScalar(t reflect.Type, s string) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	switch {
	case t == durationType:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return v, err
		}
		v.SetInt(int64(d))
	case t.Kind() == reflect.String:
		v.SetString(s)
	case t.Kind() == reflect.Bool:
		b, err := parseBool(s)
		if err != nil {
			return v, err
		}
		v.SetBool(b)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return v, err
		}
		v.SetInt(n)
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			return v, err
		}
		v.SetUint(n)
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(strings.TrimSpace(s), t.Bits())
		if err != nil {
			return v, err
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return v, fmt.Errorf("not a finite number")
		}
		v.SetFloat(x)
	default:
		return v, fmt.Errorf("unsupported type %s", t)
	}
	return v, nil
}

// parseBool accepts true/false, 1/0, yes/no and on/off, in any case.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on", "t", "y":
		return true, nil
	case "false", "0", "no", "off", "f", "n":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean")
}

// parseAny converts a value given to Set.
func (f *field) parseAny(x any) (reflect.Value, error) {
	if x == nil {
		return reflect.Value{}, f.typeErr("nil")
	}
	v := reflect.ValueOf(x)
	switch {
	case v.Type() == f.typ:
		switch f.typ.Kind() {
		case reflect.Slice:
			out := reflect.MakeSlice(f.typ, v.Len(), v.Len())
			reflect.Copy(out, v)
			return out, nil
		case reflect.Map:
			out := reflect.MakeMap(f.typ)
			iter := v.MapRange()
			for iter.Next() {
				out.SetMapIndex(iter.Key(), iter.Value())
			}
			return out, nil
		}
		return v, nil
	case v.Kind() == reflect.String && f.typ.Kind() != reflect.String:
		return f.parseString(v.String(), false)
	case f.typ == durationType:
		return reflect.Value{}, f.typeErr(fmt.Sprintf("a %s", v.Type()))
	case isScalar(f.typ) && isScalar(v.Type()) && sameFamily(f.typ, v.Type()):
		out := reflect.New(f.typ).Elem()
		switch {
		case f.typ.Kind() >= reflect.Int && f.typ.Kind() <= reflect.Int64:
			n, ok := toInt64(v)
			if !ok || out.OverflowInt(n) {
				return reflect.Value{}, f.typeErr(fmt.Sprintf("%v (out of range)", x))
			}
			out.SetInt(n)
		case f.typ.Kind() >= reflect.Uint && f.typ.Kind() <= reflect.Uint64:
			n, ok := toInt64(v)
			if !ok || n < 0 || out.OverflowUint(uint64(n)) {
				return reflect.Value{}, f.typeErr(fmt.Sprintf("%v (out of range)", x))
			}
			out.SetUint(uint64(n))
		case f.typ.Kind() == reflect.Float32 || f.typ.Kind() == reflect.Float64:
			out.SetFloat(v.Convert(reflect.TypeFor[float64]()).Float())
		case f.typ.Kind() == reflect.String:
			out.SetString(v.String())
		default:
			out.Set(v.Convert(f.typ))
		}
		return out, nil
	}
	return reflect.Value{}, f.typeErr(fmt.Sprintf("a value of type %s", v.Type()))
}

func sameFamily(a, b reflect.Type) bool {
	num := func(t reflect.Type) bool {
		return t.Kind() >= reflect.Int && t.Kind() <= reflect.Float64 && t.Kind() != reflect.Uintptr
	}
	switch {
	case a == durationType || b == durationType:
		return a == b
	case num(a) && num(b):
		if a.Kind() == reflect.Float32 || a.Kind() == reflect.Float64 {
			return true
		}
		return b.Kind() != reflect.Float32 && b.Kind() != reflect.Float64
	}
	return a.Kind() == b.Kind()
}

func toInt64(v reflect.Value) (int64, bool) {
	switch {
	case v.Kind() >= reflect.Int && v.Kind() <= reflect.Int64:
		return v.Int(), true
	case v.Kind() >= reflect.Uint && v.Kind() <= reflect.Uint64:
		u := v.Uint()
		return int64(u), u <= math.MaxInt64
	}
	return 0, false
}

// bound parses a min/max tag for the field's type: a duration for
// durations, otherwise an integer (the length, for strings and lists).
func (f *field) bound(s string) (float64, error) {
	if f.typ == durationType {
		d, err := time.ParseDuration(s)
		return float64(d), err
	}
	return strconv.ParseFloat(s, 64)
}

// view is the field's value in the redacted view.
func (f *field) view() any {
	v := f.v
	switch {
	case f.secret == "url":
		return redactURL(v.String())
	case f.isSecret():
		if v.Kind() == reflect.String && v.Len() == 0 {
			return ""
		}
		if v.IsZero() {
			return ""
		}
		return redacted
	case f.typ == durationType:
		return time.Duration(v.Int()).String()
	case v.Kind() == reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plain(v.Index(i))
		}
		return out
	case v.Kind() == reflect.Map:
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = plain(iter.Value())
		}
		return out
	}
	return plain(v)
}

func plain(v reflect.Value) any {
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Kind() == reflect.String:
		return v.String()
	case v.Kind() == reflect.Bool:
		return v.Bool()
	case v.Kind() >= reflect.Int && v.Kind() <= reflect.Int64:
		return v.Int()
	case v.Kind() >= reflect.Uint && v.Kind() <= reflect.Uint64:
		return v.Uint()
	case v.Kind() == reflect.Float32 || v.Kind() == reflect.Float64:
		return v.Float()
	}
	return nil
}

// redactURL masks the password of a URL and the values of query
// parameters that look secret; a value that is not a URL but has an @ (a
// DSN such as user:pass@tcp(host)/db) is masked entirely.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		if strings.ContainsAny(s, "@?") {
			return redacted
		}
		return s
	}
	if u.Opaque != "" && strings.Contains(u.Opaque, "@") {
		return redacted
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for _, k := range slices.Sorted(maps.Keys(q)) {
			lk := strings.ToLower(k)
			if strings.Contains(lk, "pass") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") || strings.Contains(lk, "key") {
				for i := range q[k] {
					q[k][i] = redacted
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	out, err := url.PathUnescape(u.String())
	if err != nil {
		return u.String()
	}
	return out
}

func (f *field) info() KeyInfo {
	return KeyInfo{
		Key:     f.key,
		Env:     f.env,
		Aliases: slices.Clone(f.aliases),
		Type:    kindName(f.typ),
		Secret:  f.isSecret(),
		Doc:     f.doc,
	}
}
