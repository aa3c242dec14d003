package crypto

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Key is KeySize bytes of random key material for NewFromKey. It redacts
// itself: fmt (every verb), log/slog, encoding/json and encoding/text print
// "[REDACTED]". Use Encode to write it to a secret store on purpose.
type Key struct {
	b [KeySize]byte
}

// GenerateKey returns a new random Key from crypto/rand.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := io.ReadFull(rand.Reader, k.b[:]); err != nil {
		return Key{}, fmt.Errorf("crypto: generating key: %w", err)
	}
	return k, nil
}

// ParseKey decodes a Key from its Encode form (unpadded URL-safe base64),
// from standard or padded base64, or from 64 hex digits, ignoring
// surrounding white space. Anything that does not decode to exactly
// KeySize bytes, or decodes to all zero bytes, gives ErrKeySize.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	var k Key
	var b []byte
	var err error
	switch {
	case len(s) == 2*KeySize:
		b, err = hex.DecodeString(s)
	case strings.ContainsAny(s, "+/"):
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	default:
		b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	// The error from the decoder could quote key material: never wrap it.
	if err != nil || len(b) != KeySize {
		clear(b)
		return Key{}, fmt.Errorf("%w: not 32 bytes of base64 or hex", ErrKeySize)
	}
	copy(k.b[:], b)
	clear(b)
	if k.isZero() {
		return Key{}, fmt.Errorf("%w: key is all zero bytes", ErrKeySize)
	}
	return k, nil
}

func (k Key) isZero() bool { return k.b == [KeySize]byte{} }

// Bytes returns a copy of the key material, for NewFromKey.
func (k Key) Bytes() []byte { return append([]byte(nil), k.b[:]...) }

// Encode returns the key material in unpadded URL-safe base64, the form
// ParseKey reads. It is the only method that reveals the key.
func (k Key) Encode() string { return base64.RawURLEncoding.EncodeToString(k.b[:]) }

// String returns "[REDACTED]".
func (k Key) String() string { return redacted }

// GoString returns "[REDACTED]".
func (k Key) GoString() string { return redacted }

// Format prints "[REDACTED]" for every fmt verb.
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue returns "[REDACTED]" to log/slog.
func (k Key) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[REDACTED]", so encoders never write the key.
func (k Key) MarshalText() ([]byte, error) { return []byte(redacted), nil }
