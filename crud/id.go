package crud

import (
	"crypto/rand"
	"encoding/base64"
)

// idRandomBytes is the random part of generated ids: 96 bits.
const idRandomBytes = 12

// maxIDLen bounds the ids accepted in paths and filters.
const maxIDLen = 128

// newID returns prefix followed by 96 random bits in unpadded URL-safe
// base64 (16 characters).
func newID(prefix string) string {
	var b [idRandomBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// validID reports whether s is an acceptable record id: 1 to 128 URL-safe
// characters (letters, digits, '-', '_', '.', '~').
func validID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == '~':
		default:
			return false
		}
	}
	return true
}
