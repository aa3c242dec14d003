package session

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The session token is a compact JWS (RFC 7515) with JSON claims (RFC
// 7519), written and read here without reflection:
//
//   - the header is fixed per Manager ({"alg":"<alg>","typ":"JWT"}); a
//     token whose header segment is not that exact string is refused
//     before anything else, which pins the algorithm;
//   - the signature is checked (HMAC compared in constant time) before the
//     payload is decoded;
//   - the payload decoder reads the registered claims Validate needs (iss,
//     sub, aud, exp, nbf, iat, jti) and scope, checks that the rest is
//     well-formed JSON, and refuses duplicates of the claims it reads and
//     trailing data.

// claims are the claims of a session token: iss, sub (the uid), aud, iat,
// nbf (the session's creation), exp and jti (the random session secret,
// which the store never sees: it keys the session by a hash of it), then
// auth (the roles at signing time), scope (space-separated), cnonce and
// ext (the values at creation), amr and auth_time (how and when the user
// authenticated, as of signing: RFC 9068 section 2.2.1; Validate does not
// read them, the stored session is authoritative). iss, sub and jti are
// never empty. The encoding is the one encoding/json
// gives the same struct, byte for byte.
type claims struct {
	Issuer, Subject, Audience, ID  string
	ExpiresAt, NotBefore, IssuedAt time.Time
	Auth                           []string
	Scope, CNonce                  string
	Ext                            map[string]string
	AMR                            []string
	AuthTime                       time.Time
}

// verified are the claims of a token that Validate uses.
type verified struct {
	Subject, ID, Scope string
}

// signer signs and verifies session tokens with one algorithm and key.
// The HS256 key is derived from the secret with HKDF-SHA256 under its own
// label (see Manager.DeriveKey for the other uses).
type signer struct {
	alg      string
	header   string // the base64url header segment, with its dot
	sigLen   int    // the length of a signature
	macs     sync.Pool
	hsKey    []byte
	edKey    ed25519.PrivateKey
	edPub    ed25519.PublicKey
	rsaKey   *rsa.PrivateKey
	issuer   string
	audience string
	leeway   time.Duration
}

func newSigner(secret []byte, c *config) (*signer, error) {
	if len(secret) < minSecretSize {
		return nil, optionError("secret of %d bytes: need at least %d random bytes", len(secret), minSecretSize)
	}
	s := &signer{issuer: c.issuer, audience: c.audience, leeway: c.leeway}
	switch key := c.signer.(type) {
	case nil:
		hs, err := derive(secret, labelHS256)
		if err != nil {
			return nil, err
		}
		s.alg, s.hsKey = "HS256", hs
		s.macs.New = func() any { return hmac.New(sha256.New, s.hsKey) }
	case ed25519.PrivateKey:
		s.alg, s.edKey, s.edPub = "EdDSA", key, key.Public().(ed25519.PublicKey)
	case *rsa.PrivateKey:
		s.alg, s.rsaKey = "RS256", key
	default:
		return nil, optionError("signing key of type %T", key)
	}
	s.header = b64url.EncodeToString([]byte(`{"alg":"`+s.alg+`","typ":"JWT"}`)) + "."
	switch {
	case s.hsKey != nil:
		s.sigLen = sha256.Size
	case s.edKey != nil:
		s.sigLen = ed25519.SignatureSize
	default:
		s.sigLen = s.rsaKey.Size()
	}
	return s, nil
}

// signToken returns the signed token of c.
func (s *signer) signToken(c *claims) (Token, error) {
	p := appendClaims(make([]byte, 0, 384), c)
	// One allocation holds the token and, past its end, the HMAC.
	n := len(s.header) + b64url.EncodedLen(len(p)) + 1 + b64url.EncodedLen(s.sigLen)
	b := make([]byte, 0, n+s.sigLen)
	b = append(b, s.header...)
	b = b64url.AppendEncode(b, p)
	var sig []byte
	switch {
	case s.hsKey != nil:
		mac := s.macs.Get().(hash.Hash)
		mac.Reset()
		mac.Write(b)
		sig = mac.Sum(b[n:n])
		s.macs.Put(mac)
	case s.edKey != nil:
		sig = ed25519.Sign(s.edKey, b)
	default:
		digest := sha256.Sum256(b)
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, s.rsaKey, crypto.SHA256, digest[:]); err != nil {
			return "", fmt.Errorf("session: signing token: %w", err)
		}
	}
	b = append(b, '.')
	b = b64url.AppendEncode(b, sig)
	return Token(b), nil
}

// verify checks sig, the decoded signature, over signed (header.payload).
func (s *signer) verify(signed string, sig []byte) bool {
	switch {
	case s.hsKey != nil:
		mac := s.macs.Get().(hash.Hash)
		mac.Reset()
		mac.Write([]byte(signed))
		var sum [sha256.Size]byte
		ok := hmac.Equal(mac.Sum(sum[:0]), sig)
		s.macs.Put(mac)
		return ok
	case s.edKey != nil:
		return ed25519.Verify(s.edPub, []byte(signed), sig)
	default:
		digest := sha256.Sum256([]byte(signed))
		return rsa.VerifyPKCS1v15(&s.rsaKey.PublicKey, crypto.SHA256, digest[:], sig) == nil
	}
}

// parseToken verifies a session token: its header (the one configured
// algorithm), the signature, then exp (required), nbf and iat (JSON
// numbers) with the configured leeway, iss and aud, and the shape of sub
// and jti. It never looks at the store.
func (s *signer) parseToken(raw string) (*verified, error) {
	if raw == "" || len(raw) > maxTokenLen || !compact(raw) {
		return nil, fmt.Errorf("%w: empty, oversized or not base64url", ErrInvalidToken)
	}
	if !strings.HasPrefix(raw, s.header) {
		return nil, fmt.Errorf("%w: not a %s token of this service", ErrInvalidToken, s.alg)
	}
	dot := strings.LastIndexByte(raw, '.')
	if dot < len(s.header) || strings.IndexByte(raw[len(s.header):dot], '.') >= 0 {
		return nil, fmt.Errorf("%w: not three parts", ErrInvalidToken)
	}
	payload := raw[len(s.header):dot]
	var sigBuf [512]byte // RS256 with a 4096-bit key at most fits
	sigSeg := raw[dot+1:]
	if b64url.DecodedLen(len(sigSeg)) > len(sigBuf) {
		return nil, fmt.Errorf("%w: oversized signature", ErrInvalidToken)
	}
	n, err := b64url.Strict().Decode(sigBuf[:], []byte(sigSeg))
	if err != nil || !s.verify(raw[:dot], sigBuf[:n]) {
		return nil, fmt.Errorf("%w: bad signature", ErrInvalidToken)
	}
	p, err := b64url.Strict().DecodeString(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed payload", ErrInvalidToken)
	}
	c, err := s.readClaims(string(p), time.Now())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return c, nil
}

// Claim names Validate reads, as bits of a set.
const (
	claimIss = 1 << iota
	claimSub
	claimAud
	claimExp
	claimNbf
	claimIat
	claimJti
	claimScope
)

var errPayload = errors.New("malformed payload")

// payloadClaims are the claims of a payload as read, before the checks.
type payloadClaims struct {
	verified
	seen          int // claim bits read
	exp, nbf, iat time.Time
	issOK, audOK  bool
}

// readClaims decodes a verified payload and checks its claims at now.
func (s *signer) readClaims(p string, now time.Time) (*verified, error) {
	d := jsonReader{s: p}
	var c payloadClaims
	d.ws()
	if !d.eat('{') {
		return nil, errPayload
	}
	d.ws()
	for first := true; !d.eat('}'); first = false {
		if !first && (!d.eat(',') || !d.ws()) {
			return nil, errPayload
		}
		name, ok := d.str()
		if !ok || !d.ws() || !d.eat(':') || !d.ws() {
			return nil, errPayload
		}
		bit, ok := s.readClaim(&d, name, &c)
		if !ok || c.seen&bit != 0 {
			return nil, errPayload
		}
		c.seen |= bit
		d.ws()
	}
	if d.ws(); d.i != len(d.s) {
		return nil, errPayload
	}
	if err := s.check(&c, now); err != nil {
		return nil, err
	}
	return &c.verified, nil
}

// readClaim reads the value of claim name into c and returns its bit (0
// for a claim Validate does not use, whose value is only checked to be
// well-formed).
func (s *signer) readClaim(d *jsonReader, name string, c *payloadClaims) (bit int, ok bool) {
	switch name {
	case "iss":
		var v string
		v, ok = d.str()
		c.issOK = v == s.issuer
		return claimIss, ok
	case "sub":
		c.Subject, ok = d.str()
		return claimSub, ok
	case "aud":
		c.audOK, ok = d.audience(s.audience)
		return claimAud, ok
	case "exp":
		c.exp, ok = d.numericDate()
		return claimExp, ok
	case "nbf":
		c.nbf, ok = d.numericDate()
		return claimNbf, ok
	case "iat":
		c.iat, ok = d.numericDate()
		return claimIat, ok
	case "jti":
		c.ID, ok = d.str()
		return claimJti, ok
	case "scope":
		c.Scope, ok = d.str()
		return claimScope, ok
	}
	return 0, d.skip(0)
}

// check applies the rules of a session token to claims read.
func (s *signer) check(c *payloadClaims, now time.Time) error {
	switch {
	case c.seen&claimExp == 0:
		return errors.New("exp required")
	case !now.Before(c.exp.Add(s.leeway)):
		return errors.New("expired")
	case c.seen&claimNbf != 0 && now.Before(c.nbf.Add(-s.leeway)):
		return errors.New("not valid yet")
	case c.seen&claimIat != 0 && now.Before(c.iat.Add(-s.leeway)):
		return errors.New("used before issued")
	case !c.issOK:
		return errors.New("wrong or missing issuer")
	case !c.audOK:
		return errors.New("wrong or missing audience")
	case len(c.ID) != jtiLen || validUID(c.Subject) != nil:
		return errors.New("malformed jti or sub")
	}
	if _, err := b64url.Strict().DecodeString(c.ID); err != nil {
		return errors.New("malformed jti")
	}
	return nil
}

// jsonReader reads JSON (RFC 8259) from s, starting at i. Each method
// reports false on malformed input.
type jsonReader struct {
	s string
	i int
}

// maxDepth bounds the nesting of skipped values.
const maxDepth = 32

// ws skips whitespace; it always reports true.
func (d *jsonReader) ws() bool {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return true
		}
	}
	return true
}

func (d *jsonReader) eat(b byte) bool {
	if d.i < len(d.s) && d.s[d.i] == b {
		d.i++
		return true
	}
	return false
}

// str reads a string and returns its value.
func (d *jsonReader) str() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	start, escaped := d.i, false
	for d.i < len(d.s) {
		b := d.s[d.i]
		switch {
		case b == '"':
			raw := d.s[start:d.i]
			d.i++
			if !escaped && utf8.ValidString(raw) {
				return raw, true
			}
			var v string // escapes and invalid UTF-8: encoding/json's rules
			if err := json.Unmarshal([]byte(d.s[start-1:d.i]), &v); err != nil {
				return "", false
			}
			return v, true
		case b == '\\':
			escaped = true
			d.i += 2
		case b < 0x20:
			return "", false
		default:
			d.i++
		}
	}
	return "", false
}

// number reads a number and returns its text.
func (d *jsonReader) number() (string, bool) {
	start := d.i
	d.eat('-')
	switch {
	case d.eat('0'):
	case d.digits() == 0:
		return "", false
	}
	if d.eat('.') && d.digits() == 0 {
		return "", false
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		if d.digits() == 0 {
			return "", false
		}
	}
	return d.s[start:d.i], true
}

func (d *jsonReader) digits() int {
	n := 0
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

// numericDate reads a NumericDate: a JSON number of seconds (fractions are
// truncated, as golang-jwt does). Strings, null and other values fail.
func (d *jsonReader) numericDate() (time.Time, bool) {
	text, ok := d.number()
	if !ok {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		if n < -maxSeconds || n > maxSeconds {
			return time.Time{}, false
		}
		return time.Unix(n, 0), true
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || f < -maxSeconds || f > maxSeconds {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// maxSeconds bounds a NumericDate (about 31,700 years) so that times never
// overflow.
const maxSeconds = 1e12

// audience reads aud (a string or an array of strings) and reports
// whether it holds want.
func (d *jsonReader) audience(want string) (found, ok bool) {
	if !d.eat('[') {
		v, ok := d.str()
		return v == want, ok
	}
	d.ws()
	for first := true; !d.eat(']'); first = false {
		if !first && (!d.eat(',') || !d.ws()) {
			return false, false
		}
		v, ok := d.str()
		if !ok {
			return false, false
		}
		found = found || v == want
		d.ws()
	}
	return found, true
}

// skip reads any value, nested at most maxDepth deep.
func (d *jsonReader) skip(depth int) bool {
	if depth > maxDepth || d.i >= len(d.s) {
		return false
	}
	switch b := d.s[d.i]; {
	case b == '"':
		_, ok := d.str()
		return ok
	case b == '{', b == '[':
		closing := byte('}')
		if b == '[' {
			closing = ']'
		}
		d.i++
		d.ws()
		for first := true; !d.eat(closing); first = false {
			if !first && (!d.eat(',') || !d.ws()) {
				return false
			}
			if closing == '}' {
				if _, ok := d.str(); !ok || !d.ws() || !d.eat(':') || !d.ws() {
					return false
				}
			}
			if !d.skip(depth+1) || !d.ws() {
				return false
			}
		}
		return true
	case b == 't':
		return d.literal("true")
	case b == 'f':
		return d.literal("false")
	case b == 'n':
		return d.literal("null")
	default:
		_, ok := d.number()
		return ok
	}
}

func (d *jsonReader) literal(lit string) bool {
	if strings.HasPrefix(d.s[d.i:], lit) {
		d.i += len(lit)
		return true
	}
	return false
}

// appendClaims appends the JSON of c: the bytes encoding/json writes for
// the same struct (golang-jwt's RegisteredClaims, then auth, scope, cnonce
// and ext), so that tokens keep their form.
func appendClaims(b []byte, c *claims) []byte {
	b = append(b, `{"iss":`...)
	b = appendJSONString(b, c.Issuer)
	b = append(b, `,"sub":`...)
	b = appendJSONString(b, c.Subject)
	b = append(b, `,"aud":[`...)
	b = appendJSONString(b, c.Audience)
	b = append(b, `],"exp":`...)
	b = strconv.AppendInt(b, c.ExpiresAt.Unix(), 10)
	b = append(b, `,"nbf":`...)
	b = strconv.AppendInt(b, c.NotBefore.Unix(), 10)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.IssuedAt.Unix(), 10)
	b = append(b, `,"jti":`...)
	b = appendJSONString(b, c.ID)
	b = append(b, `,"auth":`...)
	if c.Auth == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, r := range c.Auth {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, r)
		}
		b = append(b, ']')
	}
	if c.Scope != "" {
		b = append(b, `,"scope":`...)
		b = appendJSONString(b, c.Scope)
	}
	if c.CNonce != "" {
		b = append(b, `,"cnonce":`...)
		b = appendJSONString(b, c.CNonce)
	}
	if len(c.Ext) > 0 {
		b = append(b, `,"ext":{`...)
		for i, k := range sortedKeys(c.Ext) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, c.Ext[k])
		}
		b = append(b, '}')
	}
	if len(c.AMR) > 0 {
		b = append(b, `,"amr":[`...)
		for i, a := range c.AMR {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, a)
		}
		b = append(b, ']')
	}
	if !c.AuthTime.IsZero() {
		b = append(b, `,"auth_time":`...)
		b = strconv.AppendInt(b, c.AuthTime.Unix(), 10)
	}
	return append(b, '}')
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json
// does (HTML characters, U+2028 and U+2029 escaped; invalid UTF-8 becomes
// U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
