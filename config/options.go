package config

import (
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
)

// DefaultEnvPrefix is the prefix of environment variables unless
// WithEnvPrefix changes it: key session_idle_ttl is read from
// APICRUD_SESSION_IDLE_TTL.
const DefaultEnvPrefix = "APICRUD_"

// Option configures Load and LoadAs.
type Option func(*loader) error

// WithEnvPrefix sets the prefix of environment variable names (default
// DefaultEnvPrefix). The prefix is upper-cased; "" reads the bare
// upper-case key (SESSION_IDLE_TTL).
func WithEnvPrefix(prefix string) Option {
	return func(l *loader) error {
		for _, r := range prefix {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
				return fmt.Errorf("%w: environment prefix %q: only letters, digits and _", ErrInvalid, prefix)
			}
		}
		l.prefix = strings.ToUpper(prefix)
		return nil
	}
}

// Set overrides key with value, after the file and the environment: the
// last word, for values computed in code. value has the field's type
// (string, bool, int, time.Duration, []string, map[string]int64, Secret...)
// or is a string parsed as an environment variable would be. A map value
// replaces the whole map. An unknown key or a value of another type makes
// Load fail with ErrUnknownKey or ErrType.
func Set(key string, value any) Option {
	return func(l *loader) error {
		l.sets = append(l.sets, setting{key: key, value: value})
		return nil
	}
}

// Default sets the default of a library key for this host, below the file,
// the environment and Set: a host whose defaults differ from the library's
// (its own default_grants, say) states them here, and they still show in
// Redacted with the source "default". value is converted as for Set; a
// map given for a map key is the default map, into which file and
// environment entries merge. An unknown key or a bad value is an error of
// Load.
func Default(key string, value any) Option {
	return func(l *loader) error {
		l.defaults = append(l.defaults, setting{key: key, value: value})
		return nil
	}
}

// WithFS reads the path given to Load from fsys instead of the operating
// system's file system (for embed.FS or fstest.MapFS). The path then uses
// fs.FS syntax (slash-separated, unrooted).
func WithFS(fsys fs.FS) Option {
	return func(l *loader) error {
		l.fsys = fsys
		return nil
	}
}

// WithEnviron gives Load the whole environment (os.Environ()) so that a
// variable with the prefix that matches no key — a typo such as
// APICRUD_SESION_IDLE_TTL — is reported as ErrUnknownKey. Without it, only
// the known names are looked up and unknown variables go unnoticed.
func WithEnviron(environ []string) Option {
	return func(l *loader) error {
		l.environ = environ
		l.checkEnviron = true
		return nil
	}
}

// WithLogger receives the warnings of development mode (an empty or default
// secret accepted). Default: discard.
func WithLogger(logger *slog.Logger) Option {
	return func(l *loader) error {
		if logger != nil {
			l.log = logger
		}
		return nil
	}
}
