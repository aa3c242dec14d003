package session

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

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

// signer holds the token keys: the JWT signing method and keys, and the
// HMAC keys of links, remember-device cookies and backup codes, each
// derived from the secret with HKDF-SHA256 under its own label.
type signer struct {
	method jwt.SigningMethod
	sign   any
	verify any
	parser *jwt.Parser
	link   []byte
	device []byte
	backup []byte
}

func derive(secret []byte, label string) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, nil, "apicrud/session/"+label, 32)
}

func newSigner(secret []byte, c *config) (*signer, error) {
	if len(secret) < MinSecretSize {
		return nil, optionError("secret of %d bytes: need at least %d random bytes", len(secret), MinSecretSize)
	}
	s := &signer{}
	var err error
	for _, k := range []struct {
		dst   *[]byte
		label string
	}{{&s.link, "link"}, {&s.device, "device"}, {&s.backup, "backup-code"}} {
		if *k.dst, err = derive(secret, k.label); err != nil {
			return nil, err
		}
	}
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

// Signed blobs (links and remember-device cookies):
//
//	base64url(payload) "." base64url(HMAC-SHA256(key, label 0x00 payload))
//
// The payload is JSON with an expiry; the label keeps a blob of one kind
// from being accepted as another even under the same key.

const maxBlobLen = 2048

func signBlob(key []byte, label string, payload any) (string, error) {
	p, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	return b64url.EncodeToString(p) + "." + b64url.EncodeToString(blobMAC(key, label, p)), nil
}

func blobMAC(key []byte, label string, p []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(label))
	mac.Write([]byte{0})
	mac.Write(p)
	return mac.Sum(nil)
}

// openBlob verifies a signed blob and decodes its payload into v.
func openBlob(key []byte, label, s string, v any) error {
	if s == "" || len(s) > maxBlobLen || !compact(s) {
		return errors.New("empty, oversized or not base64url")
	}
	ps, ms, ok := strings.Cut(s, ".")
	if !ok {
		return errors.New("no signature")
	}
	p, err1 := b64url.Strict().DecodeString(ps)
	m, err2 := b64url.Strict().DecodeString(ms)
	if err1 != nil || err2 != nil {
		return errors.New("bad encoding")
	}
	if !hmac.Equal(m, blobMAC(key, label, p)) {
		return errors.New("bad signature")
	}
	d := json.NewDecoder(strings.NewReader(string(p)))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return errors.New("bad payload")
	}
	return nil
}

// link is the payload of a confirmation or password-reset link token.
type link struct {
	Purpose string `json:"p"`
	UID     string `json:"u"`
	Exp     int64  `json:"e"`
	Nonce   string `json:"n"`
	Rename  bool   `json:"r,omitempty"` // confirmation needs a new username
}

const (
	purposeConfirm = "confirm"
	purposeReset   = "reset"
)

func linkKey(purpose, uid string) string { return "link:" + purpose + ":" + uid }

func linkDigest(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// parseLink checks a link token's signature, purpose and expiry at now,
// without consuming it, and returns its uid.
func (s *signer) parseLink(token, purpose string, now time.Time) (string, error) {
	uid, _, err := s.parseLinkFor(token, purpose, now)
	return uid, err
}

// parseLinkFor is parseLink that also reports whether the link requires a
// new username.
func (s *signer) parseLinkFor(token, purpose string, now time.Time) (uid string, rename bool, err error) {
	var l link
	if err := openBlob(s.link, "link", token, &l); err != nil {
		return "", false, fmt.Errorf("%w: %v", ErrInvalidLink, err)
	}
	if l.Purpose != purpose || validUID(l.UID) != nil || len(l.Nonce) != 22 {
		return "", false, fmt.Errorf("%w: wrong purpose or malformed", ErrInvalidLink)
	}
	if now.Unix() >= l.Exp {
		return "", false, fmt.Errorf("%w: expired", ErrInvalidLink)
	}
	return l.UID, l.Rename, nil
}

func (s *signer) newLink(purpose, uid string, exp time.Time) (string, error) {
	return s.newLinkFor(purpose, uid, exp, false)
}

// newLinkFor is newLink for a link that may require a new username.
func (s *signer) newLinkFor(purpose, uid string, exp time.Time, rename bool) (string, error) {
	n := make([]byte, 16)
	_, _ = rand.Read(n)
	return signBlob(s.link, "link", link{Purpose: purpose, UID: uid, Exp: exp.Unix(), Nonce: b64url.EncodeToString(n), Rename: rename})
}
