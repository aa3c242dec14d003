package session

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
)

// Token is a signed session token (a JWT) to hand to the client, which
// sends it back as "Authorization: Bearer <token>" or in the session
// cookie. It redacts itself in fmt and log/slog output; convert it with
// string(t) to send it. encoding/json writes the token itself.
type Token string

const redacted = "[REDACTED]"

// String returns "[REDACTED]".
func (t Token) String() string { return redacted }

// GoString returns "[REDACTED]".
func (t Token) GoString() string { return redacted }

// LogValue returns "[REDACTED]".
func (t Token) LogValue() slog.Value { return slog.StringValue(redacted) }

const (
	jtiBytes    = 32 // 256 random bits: the session secret
	jtiLen      = 43 // base64url without padding
	maxTokenLen = 8192
)

var b64url = base64.RawURLEncoding

func derive(secret []byte, label string) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, nil, "apicrud/session/"+label, 32)
}

// compact reports whether s holds only base64url characters and dots. The
// base64 decoders skip '\r' and '\n' even in strict mode; refusing them
// (and everything else) keeps every token in one canonical spelling.
func compact(s string) bool {
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= 'A' && b <= 'Z', b >= 'a' && b <= 'z', b >= '0' && b <= '9', b == '-', b == '_', b == '.':
		default:
			return false
		}
	}
	return true
}

// newJTI returns a random session secret and the session id derived from
// it (base64url of SHA-256), the only form the store sees.
func newJTI() (jti, id string) {
	// One buffer: the random bytes, then their encoding, hashed as
	// sessionID hashes the jti (without converting the string back).
	b := make([]byte, jtiBytes+b64url.EncodedLen(jtiBytes))
	_, _ = rand.Read(b[:jtiBytes]) // never fails (Go 1.24+)
	e := b[jtiBytes:]
	b64url.Encode(e, b[:jtiBytes])
	sum := sha256.Sum256(e)
	return string(e), b64url.EncodeToString(sum[:])
}

func sessionID(jti string) string {
	sum := sha256.Sum256([]byte(jti))
	return b64url.EncodeToString(sum[:])
}
