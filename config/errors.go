package config

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Load wraps every problem it finds in a *KeyError that
// matches one of them with errors.Is, and joins them (errors.Join), so one
// failed Load reports every bad key at once.
var (
	// ErrUnknownKey: the file (or a Set option) names a key that no field
	// declares.
	ErrUnknownKey = errors.New("config: unknown key")
	// ErrType: a value does not have the field's type (a string for an int,
	// "10" for a duration...).
	ErrType = errors.New("config: wrong type")
	// ErrInvalid: a value has the right type but breaks a rule (range,
	// enum, URL form, relation with another key).
	ErrInvalid = errors.New("config: invalid value")
	// ErrInsecureSecret: a secret is empty, too short or a published default
	// outside development mode.
	ErrInsecureSecret = errors.New("config: insecure secret")
	// ErrSyntax: the file is not valid YAML, or not a flat mapping.
	ErrSyntax = errors.New("config: syntax error")
	// ErrSchema: the host struct given to LoadAs cannot be a configuration
	// (no embedded Config, unsupported field type, duplicate key). This is a
	// programming error, reported as an error rather than a panic.
	ErrSchema = errors.New("config: invalid configuration struct")
)

// KeyError describes one problem with one key. It never contains the value
// of a secret.
type KeyError struct {
	Key    string // configuration key, e.g. "session_idle_ttl"
	Source string // where the value came from: "default", "file", "env", "option"
	File   string // the YAML file, when Source is "file"
	Line   int    // line in File (1-based), when known
	Env    string // the environment variable, when Source is "env"
	Err    error  // wraps one of the sentinels
}

// Error returns e.g.
// `config: service.yaml:12: key "session_idle_ttl": wrong type: want a duration such as "15m"`.
func (e *KeyError) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	case e.Env != "":
		fmt.Fprintf(&b, "environment %s: ", e.Env)
	case e.Source == "option":
		b.WriteString("option: ")
	}
	if e.Key != "" {
		fmt.Fprintf(&b, "key %q: ", e.Key)
	}
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "config: "))
	return b.String()
}

// Unwrap returns the underlying error.
func (e *KeyError) Unwrap() error { return e.Err }
