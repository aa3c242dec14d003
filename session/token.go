package session

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/golang-jwt/jwt/v5"
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

// tokenClaims are the claims of a session token. Registered claims: iss,
// sub (the uid), aud, iat, nbf (= iat), exp (the absolute deadline) and jti
// (the random session secret, which the store never sees: it keys the
// session by a hash of it).
type tokenClaims struct {
	jwt.RegisteredClaims
	Auth   []string          `json:"auth"`
	Scope  string            `json:"scope,omitempty"` // space-separated
	CNonce string            `json:"cnonce,omitempty"`
	Ext    map[string]string `json:"ext,omitempty"`
}

// signer holds the token keys: the JWT signing method and keys. The
// HS256 key is derived from the secret with HKDF-SHA256 under its own
// label (see Manager.DeriveKey for the other uses).
type signer struct {
	method jwt.SigningMethod
	sign   any
	verify any
	parser *jwt.Parser
}

func derive(secret []byte, label string) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, nil, "apicrud/session/"+label, 32)
}

func newSigner(secret []byte, c *config) (*signer, error) {
	if len(secret) < minSecretSize {
		return nil, optionError("secret of %d bytes: need at least %d random bytes", len(secret), minSecretSize)
	}
	s := &signer{}
	switch key := c.signer.(type) {
	case nil:
		hs, err := derive(secret, "jwt-hs256")
		if err != nil {
			return nil, err
		}
		s.method, s.sign, s.verify = jwt.SigningMethodHS256, hs, hs
	case ed25519.PrivateKey:
		s.method, s.sign, s.verify = jwt.SigningMethodEdDSA, key, key.Public()
	case *rsa.PrivateKey:
		s.method, s.sign, s.verify = jwt.SigningMethodRS256, key, &key.PublicKey
	default:
		return nil, optionError("signing key of type %T", key)
	}
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{s.method.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(c.issuer),
		jwt.WithAudience(c.audience),
		jwt.WithLeeway(c.leeway),
		jwt.WithStrictDecoding(),
	)
	return s, nil
}

func (s *signer) signToken(c *tokenClaims) (Token, error) {
	t, err := jwt.NewWithClaims(s.method, c).SignedString(s.sign)
	if err != nil {
		return "", fmt.Errorf("session: signing token: %w", err)
	}
	return Token(t), nil
}

// parseToken verifies a session token: the one configured algorithm, the
// signature, exp (required), nbf and iat (JSON numbers) with the
// configured leeway, iss and aud, and the shape of sub and jti. It never looks at the store.
func (s *signer) parseToken(raw string) (*tokenClaims, error) {
	if raw == "" || len(raw) > maxTokenLen || !compact(raw) {
		return nil, fmt.Errorf("%w: empty, oversized or not base64url", ErrInvalidToken)
	}
	var c tokenClaims
	_, err := s.parser.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if t.Method == nil || t.Method.Alg() != s.method.Alg() {
			return nil, errors.New("unexpected signing method")
		}
		return s.verify, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if err := numericDates(raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if len(c.ID) != jtiLen || validUID(c.Subject) != nil {
		return nil, fmt.Errorf("%w: malformed jti or sub", ErrInvalidToken)
	}
	if _, err := b64url.Strict().DecodeString(c.ID); err != nil {
		return nil, fmt.Errorf("%w: malformed jti", ErrInvalidToken)
	}
	return &c, nil
}

// numericDates rejects a token whose exp, nbf or iat is not a JSON
// number. RFC 7519 makes them NumericDates (numbers), but the JWT library
// also reads a numeric string such as "1767225600": one spelling only.
func numericDates(raw string) error {
	_, rest, _ := strings.Cut(raw, ".")
	payload, _, _ := strings.Cut(rest, ".")
	p, err := b64url.DecodeString(payload)
	if err != nil {
		return errors.New("malformed payload")
	}
	var claims struct {
		Exp json.RawMessage `json:"exp"`
		Nbf json.RawMessage `json:"nbf"`
		Iat json.RawMessage `json:"iat"`
	}
	if err := json.Unmarshal(p, &claims); err != nil {
		return errors.New("malformed payload")
	}
	for _, v := range []json.RawMessage{claims.Exp, claims.Nbf, claims.Iat} {
		if len(v) > 0 && v[0] != '-' && (v[0] < '0' || v[0] > '9') {
			return errors.New("exp, nbf and iat must be numbers")
		}
	}
	return nil
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
	b := make([]byte, jtiBytes)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	jti = b64url.EncodeToString(b)
	return jti, sessionID(jti)
}

func sessionID(jti string) string {
	sum := sha256.Sum256([]byte(jti))
	return b64url.EncodeToString(sum[:])
}
