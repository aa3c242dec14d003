package apikey

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"strings"
)

// API key format: "<prefix>.<secret>". The prefix is public (it names the
// key in lists and logs and is the store's lookup key); the secret is
// shown once, at creation, and only its hash is stored.
const (
	// PrefixLen is the length of generated prefixes (lower-case letters
	// and digits: 62 bits, for uniqueness, not secrecy).
	PrefixLen = 12
	// SecretBytes is the number of random bytes of a generated secret
	// (256 bits; at least 192 are required), encoded as 43 characters of
	// unpadded base64url.
	SecretBytes = 32
	// MaxLen bounds the length of a key string Parse accepts.
	MaxLen = 256

	minPrefix, maxPrefix = 8, 32
	minSecret, maxSecret = 32, 128 // 32 base64url characters = 192 bits
)

const prefixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// Key is an API key with its secret. It redacts itself: String, GoString,
// LogValue and MarshalText (hence JSON) show only the prefix, so a Key that
// reaches a log, an error or a JSON body leaks nothing. Reveal returns the
// full key, to show once to its owner.
type Key struct {
	prefix, secret string
}

const redacted = "[REDACTED]"

// Prefix returns the public part of the key.
func (k Key) Prefix() string { return k.prefix }

// Reveal returns the whole key, "prefix.secret". Show it once, to its
// owner, and never log it.
func (k Key) Reveal() string {
	if k.prefix == "" {
		return ""
	}
	return k.prefix + "." + k.secret
}

// String returns "prefix.[REDACTED]".
func (k Key) String() string { return k.prefix + "." + redacted }

// GoString returns the redacted form for %#v.
func (k Key) GoString() string { return "apikey.Key{" + k.String() + "}" }

// LogValue logs the redacted form.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalText returns the redacted form (use Reveal to send the key).
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// IsZero reports whether k is the zero Key.
func (k Key) IsZero() bool { return k.prefix == "" }

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// Parse parses "prefix.secret": a prefix of 8 to 32 and a secret of 32 to
// 128 characters among letters, digits, '_' and '-' (the secret of a
// generated key is unpadded base64url), at most MaxLen bytes in all.
// Anything else is ErrMalformed; the error never quotes the input.
func Parse(s string) (Key, error) {
	if len(s) > MaxLen {
		return Key{}, ErrMalformed
	}
	prefix, secret, ok := strings.Cut(s, ".")
	if !ok || len(prefix) < minPrefix || len(prefix) > maxPrefix || len(secret) < minSecret || len(secret) > maxSecret {
		return Key{}, ErrMalformed
	}
	for i := 0; i < len(prefix); i++ {
		if !isKeyByte(prefix[i]) {
			return Key{}, ErrMalformed
		}
	}
	for i := 0; i < len(secret); i++ {
		if !isKeyByte(secret[i]) {
			return Key{}, ErrMalformed
		}
	}
	return Key{prefix: prefix, secret: secret}, nil
}

// validPrefix reports whether s can be a key prefix.
func validPrefix(s string) bool {
	if len(s) < minPrefix || len(s) > maxPrefix {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isKeyByte(s[i]) {
			return false
		}
	}
	return true
}

// newKey generates a key from crypto/rand.
func newKey() Key {
	var p [PrefixLen]byte
	// Rejection sampling keeps the prefix alphabet uniform.
	var buf [64]byte
	for i := 0; i < len(p); {
		_, _ = rand.Read(buf[:]) // never fails (Go 1.24+)
		for _, b := range buf {
			if b < 252 && i < len(p) { // 252 = 7*36
				p[i] = prefixAlphabet[b%36]
				i++
			}
		}
	}
	var sec [SecretBytes]byte
	_, _ = rand.Read(sec[:])
	return Key{prefix: string(p[:]), secret: base64.RawURLEncoding.EncodeToString(sec[:])}
}
