package login

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

var b64url = base64.RawURLEncoding

// compact reports whether s holds only base64url characters and dots. The
// base64 decoders skip '\r' and '\n' even in strict mode; refusing them
// (and everything else) keeps every blob in one canonical spelling.
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

// keys are the HMAC keys of links, remember-device cookies and backup
// codes, each derived from the session.Manager's secret with HKDF-SHA256
// under its own label (session.Manager.DeriveKey).
type keys struct {
	link   []byte
	device []byte
	backup []byte
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
func (s *keys) parseLink(token, purpose string, now time.Time) (string, error) {
	uid, _, err := s.parseLinkFor(token, purpose, now)
	return uid, err
}

// parseLinkFor is parseLink that also reports whether the link requires a
// new username.
func (s *keys) parseLinkFor(token, purpose string, now time.Time) (uid string, rename bool, err error) {
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

func (s *keys) newLink(purpose, uid string, exp time.Time) (string, error) {
	return s.newLinkFor(purpose, uid, exp, false)
}

// newLinkFor is newLink for a link that may require a new username.
func (s *keys) newLinkFor(purpose, uid string, exp time.Time, rename bool) (string, error) {
	n := make([]byte, 16)
	_, _ = rand.Read(n)
	return signBlob(s.link, "link", link{Purpose: purpose, UID: uid, Exp: exp.Unix(), Nonce: b64url.EncodeToString(n), Rename: rename})
}
