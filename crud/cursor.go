package crud

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// maxCursorLen bounds the cursor_next parameter.
const maxCursorLen = 2048

// cursor is the keyset position of the next page. It is signed, not
// encrypted: it only holds values of a row the caller has already seen.
type cursor struct {
	// Kind tells list cursors ("l") from trashcan cursors ("t").
	Kind string `json:"t"`
	// Res is the resource the cursor belongs to.
	Res string `json:"r"`
	// Sort is the JSON name of the sort field and Desc its direction.
	Sort string `json:"s,omitempty"`
	Desc bool   `json:"d,omitempty"`
	// Key is the sort value of the last row (absent when sorting by id).
	Key json.RawMessage `json:"k,omitempty"`
	// ID is the id of the last row, the keyset tiebreaker.
	ID string `json:"i"`
	// Pos is the number of rows before the next page.
	Pos int64 `json:"p"`
	// Filter is a digest of the filter the cursor was made for.
	Filter string `json:"f,omitempty"`
}

// cursorSigner signs and verifies cursors with HMAC-SHA-256.
type cursorSigner struct{ key []byte }

func newCursorSigner(key []byte) cursorSigner {
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // never fails
	}
	return cursorSigner{key: key}
}

const cursorDomain = "apicrud.crud.cursor.v1\x00"

func (s cursorSigner) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(cursorDomain))
	h.Write([]byte(payload))
	return h.Sum(nil)[:16]
}

// encode returns the opaque, signed form of c.
func (s cursorSigner) encode(c *cursor) string {
	b, _ := json.Marshal(c) // a struct of strings, ints and raw JSON: cannot fail
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

// decode verifies and parses a cursor; any defect is a *FieldError for
// "cursor_next".
func (s cursorSigner) decode(v string) (*cursor, error) {
	bad := fieldErr("cursor_next", CodeBadCursor, "invalid or tampered cursor")
	if v == "" || len(v) > maxCursorLen {
		return nil, bad
	}
	payload, sig, ok := strings.Cut(v, ".")
	if !ok {
		return nil, bad
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Pos < 0 || !validID(c.ID) {
		return nil, bad
	}
	return &c, nil
}

// digest returns a short stable digest of s (the canonical filter).
func digest(s string) string {
	if s == "" {
		return ""
	}
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:9])
}
