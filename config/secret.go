package config

import (
	"fmt"
	"io"
	"log/slog"
)

// Secret is a configuration string that must not be printed: fmt (every
// verb), log/slog, encoding/json and encoding/text show "[REDACTED]" (or ""
// when it is empty). Reveal returns the value; a field of type Secret is
// masked in Redacted without a tag.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

func (s Secret) masked() string {
	if s == "" {
		return ""
	}
	return redacted
}

// String returns "[REDACTED]", or "" for an empty secret.
func (s Secret) String() string { return s.masked() }

// GoString is String.
func (s Secret) GoString() string { return s.masked() }

// Format prints String for every fmt verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.masked()) }

// LogValue returns String to log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.masked()) }

// MarshalText returns String, so encoders never write the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.masked()), nil }
