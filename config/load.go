package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// MaxFileSize is the largest configuration file Load reads.
const MaxFileSize = 1 << 20

type setting struct {
	key   string
	value any
}

type loader struct {
	prefix       string
	sets         []setting
	defaults     []setting // Default, applied before the file
	fsys         fs.FS
	environ      []string
	checkEnviron bool
	log          *slog.Logger

	path   string
	fields []*field
	byKey  map[string]*field
	errs   []error
}

// Load returns the configuration of the library's settings: the built-in
// defaults, overridden by the YAML file at path (none when path is ""), then
// by the environment as seen through lookup (none when lookup is nil; pass
// os.LookupEnv), then by Set options. It validates the result; every
// problem found is reported in one error joining *KeyErrors (errors.Is
// matches ErrUnknownKey, ErrType, ErrInvalid, ErrInsecureSecret, ErrSyntax).
//
// Outside development mode (key development), a required secret that is
// empty, shorter than its minimum or one of the secrets published with
// apicrud (or a placeholder such as "changeme") fails with
// ErrInsecureSecret naming the key.
func Load(path string, lookup func(string) (string, bool), opts ...Option) (*Config, error) {
	st, err := load(reflect.Value{}, path, lookup, opts)
	if err != nil {
		return nil, err
	}
	return &Config{st: st}, nil
}

// LoadAs is Load for a host struct T that embeds Config (by value, exactly
// once) and adds its own exported fields, which are loaded from the same
// file, environment and Set options as the library's keys:
//
//	type Settings struct {
//		config.Config
//		SMTPHost     string        `config:"smtp_host" default:"localhost"`
//		SMTPPassword config.Secret `config:"smtp_password" secret:"required"`
//		Greeting     string        // key "greeting"
//	}
//	s, err := config.LoadAs[Settings]("service.yaml", os.LookupEnv)
//
// A host field's key is its config tag, or its name in snake_case
// (SMTPHost: smtp_host); config:"-" skips it. The tags of the library's
// own fields apply (env, secret, min, max, enum, path, doc), plus default,
// a default value written as in the environment. Supported types: string,
// Secret, bool, integers, floats, time.Duration, and slices and
// string-keyed maps of those scalars. A key that clashes with a library key
// or another host key, an unsupported type, or a T without exactly one
// embedded Config gives ErrSchema.
//
// The host fields of the result are the host's to change; the embedded
// Config, and Redacted and MarshalJSON (promoted to T, covering the host
// fields as loaded), are immutable.
func LoadAs[T any](path string, lookup func(string) (string, bool), opts ...Option) (*T, error) {
	t := new(T)
	v := reflect.ValueOf(t).Elem()
	st, err := load(v, path, lookup, opts)
	if err != nil {
		return nil, err
	}
	v.FieldByIndex(embeddedConfig(v.Type())).Set(reflect.ValueOf(Config{st: st}))
	return t, nil
}

var configType = reflect.TypeFor[Config]()

// embeddedConfig returns the index of the embedded Config, or nil.
func embeddedConfig(t reflect.Type) []int {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var idx []int
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type == configType {
			if idx != nil {
				return nil
			}
			idx = []int{i}
		}
	}
	return idx
}

func load(host reflect.Value, path string, lookup func(string) (string, bool), opts []Option) (*state, error) {
	l := &loader{prefix: DefaultEnvPrefix, log: slog.New(slog.DiscardHandler), path: path, byKey: map[string]*field{}}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(l); err != nil {
			return nil, err
		}
	}
	st := &state{s: defaults()}
	if err := l.addFields(reflect.ValueOf(&st.s).Elem(), false); err != nil {
		return nil, err
	}
	if host.IsValid() {
		if embeddedConfig(host.Type()) == nil {
			return nil, fmt.Errorf("%w: %s must be a struct that embeds config.Config by value, once", ErrSchema, host.Type())
		}
		if err := l.addFields(host, true); err != nil {
			return nil, err
		}
	}
	l.applyDefaults()
	if path != "" {
		l.readFile(path)
	}
	if lookup != nil {
		l.readEnv(lookup)
	}
	if l.checkEnviron {
		l.checkUnknownEnv()
	}
	l.applySets()
	if len(l.errs) == 0 {
		l.validate(st)
	}
	if len(l.errs) > 0 {
		return nil, errors.Join(l.errs...)
	}
	st.redacted, st.sources = make(map[string]any, len(l.fields)), make(map[string]string, len(l.fields))
	for _, f := range l.fields {
		st.redacted[f.key] = f.view()
		st.sources[f.key] = f.source
		st.keys = append(st.keys, f.info())
	}
	return st, nil
}

func (l *loader) fail(f *field, err error) {
	e := &KeyError{Err: err}
	if f != nil {
		e.Key = f.key
		e.Source, e.File, e.Line, e.Env = f.srcKind, f.srcFile, f.srcLine, f.srcEnv
	}
	l.errs = append(l.errs, e)
}

func (l *loader) readFile(path string) {
	var data []byte
	var err error
	if l.fsys != nil {
		var f fs.File
		if f, err = l.fsys.Open(path); err == nil {
			data, err = io.ReadAll(io.LimitReader(f, MaxFileSize+1))
			_ = f.Close()
		}
	} else {
		var f *os.File
		if f, err = os.Open(path); err == nil {
			data, err = io.ReadAll(io.LimitReader(f, MaxFileSize+1))
			_ = f.Close()
		}
	}
	if err != nil {
		l.errs = append(l.errs, fmt.Errorf("config: reading %s: %w", path, err))
		return
	}
	if len(data) > MaxFileSize {
		l.errs = append(l.errs, &KeyError{Source: "file", File: path, Err: fmt.Errorf("%w: file larger than %d bytes", ErrSyntax, MaxFileSize)})
		return
	}
	l.parseYAML(path, data)
}

func (l *loader) readEnv(lookup func(string) (string, bool)) {
	for _, f := range l.fields {
		for _, name := range append([]string{f.env}, f.aliases...) {
			v, ok := lookup(name)
			if !ok || v == "" {
				continue // an empty variable is ignored, as in apicrud
			}
			f.setSource("env", "", 0, name)
			val, err := f.parseString(v, true)
			if err != nil {
				l.fail(f, err)
			} else {
				f.assign(val)
			}
			break
		}
	}
}

func (l *loader) checkUnknownEnv() {
	if l.prefix == "" {
		return // every variable would be "unknown"
	}
	known := make(map[string]bool, len(l.fields))
	for _, f := range l.fields {
		known[f.env] = true
	}
	for _, kv := range l.environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, l.prefix) && !known[name] {
			key := strings.ToLower(strings.TrimPrefix(name, l.prefix))
			err := fmt.Errorf("%w%s", ErrUnknownKey, l.suggest(key))
			l.errs = append(l.errs, &KeyError{Key: key, Source: "env", Env: name, Err: err})
		}
	}
}

// applyDefaults applies the Default options; the values keep the source
// "default".
func (l *loader) applyDefaults() {
	for _, s := range l.defaults {
		f := l.byKey[s.key]
		if f == nil {
			err := fmt.Errorf("%w%s", ErrUnknownKey, l.suggest(s.key))
			l.errs = append(l.errs, &KeyError{Key: s.key, Source: "default", Err: err})
			continue
		}
		val, err := f.parseAny(s.value)
		if err != nil {
			l.fail(f, err)
			continue
		}
		f.v.Set(val)
	}
}

func (l *loader) applySets() {
	for _, s := range l.sets {
		f := l.byKey[s.key]
		if f == nil {
			err := fmt.Errorf("%w%s", ErrUnknownKey, l.suggest(s.key))
			l.errs = append(l.errs, &KeyError{Key: s.key, Source: "option", Err: err})
			continue
		}
		f.setSource("option", "", 0, "")
		val, err := f.parseAny(s.value)
		if err != nil {
			l.fail(f, err)
			continue
		}
		f.v.Set(val)
	}
}

// suggest returns `; did you mean "x"?` for a key one or two edits from a
// known key.
func (l *loader) suggest(key string) string {
	best, bestD := "", 3
	for _, f := range l.fields {
		if d := editDistance(key, f.key, bestD); d < bestD {
			best, bestD = f.key, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance of a and b, or max when it is
// at least max.
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d >= max || -d >= max || len(a) > 64 || len(b) > 64 {
		return max
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], max)
}

// resolvePath makes a relative path from the file relative to the file's
// directory.
func (l *loader) resolvePath(f *field) {
	if !f.path || f.srcKind != "file" || f.typ.Kind() != reflect.String {
		return
	}
	p := f.v.String()
	if p == "" || filepath.IsAbs(p) {
		return
	}
	if l.fsys != nil {
		f.v.SetString(strings.TrimPrefix(filepath.ToSlash(filepath.Join(filepath.Dir(l.path), p)), "./"))
		return
	}
	f.v.SetString(filepath.Join(filepath.Dir(l.path), p))
}

var bom = []byte("\xef\xbb\xbf")

func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, bom) }
