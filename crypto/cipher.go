package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Sizes of the keys and of the version 1 ciphertext format.
const (
	// KeySize is the size of the random key NewFromKey takes and of the
	// AES-256 key every Cipher uses.
	KeySize = 32
	// MinPassphraseLen is the shortest passphrase New accepts, in bytes.
	MinPassphraseLen = 16
	// Version is the format version byte at the start of every ciphertext.
	Version byte = 1
	// HeaderSize is the length of the version byte and the key id.
	HeaderSize = 1 + 4
	// NonceSize is the length of the random AES-GCM nonce.
	NonceSize = 12
	// TagSize is the length of the AES-GCM authentication tag.
	TagSize = 16
	// Overhead is how many bytes Seal adds to a plaintext.
	Overhead = HeaderSize + NonceSize + TagSize
)

// Argon2id parameters New uses to stretch a passphrase (OWASP's
// recommendation: 19 MiB, 2 passes, 1 lane). They are part of format
// version 1: changing them would change every derived key, so they are
// fixed, not options.
const (
	Argon2Time    = 2
	Argon2Memory  = 19 * 1024 // KiB
	Argon2Threads = 1
)

// maxPlaintext is the AES-GCM limit on one message ((2^32 - 2) blocks).
const maxPlaintext = (1<<32 - 2) * aes.BlockSize

// HKDF info labels: distinct contexts for the AES key and the key id.
const (
	infoAES   = "apicrud-go/crypto/v1 aes-256-gcm\x00"
	infoKeyID = "apicrud-go/crypto/v1 key-id\x00"
)

const redacted = "[REDACTED]"

// strictBase64 rejects non-zero trailing bits, so each ciphertext has one
// string form. It is immutable.
var strictBase64 = base64.RawURLEncoding.Strict()

// Cipher seals and opens messages with one AES-256-GCM key. It is immutable
// and safe for concurrent use. Create it with New (from a passphrase) or
// NewFromKey (from random key material); the zero value is not usable.
//
// Cipher never exposes its key: String, GoString, Format, LogValue and the
// marshalers print only the key id.
type Cipher struct {
	id   uint32
	aead cipher.AEAD
}

// New returns a Cipher whose key is derived from passphrase with argon2id
// (Argon2Time, Argon2Memory, Argon2Threads, salt DefaultSalt or WithSalt)
// and then HKDF-SHA-256 with the purpose of WithPurpose. The derivation runs
// once, here: it costs tens of milliseconds and 19 MiB, so build one Cipher
// at start-up and share it.
//
// A passphrase shorter than MinPassphraseLen bytes is rejected with
// ErrShortPassphrase. Prefer NewFromKey with a key from GenerateKey: a
// passphrase is only as strong as its entropy.
func New(passphrase string, opts ...Option) (*Cipher, error) {
	if len(passphrase) < MinPassphraseLen {
		return nil, fmt.Errorf("%w: got %d bytes, need at least %d", ErrShortPassphrase, len(passphrase), MinPassphraseLen)
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	master := argon2.IDKey([]byte(passphrase), o.salt, Argon2Time, Argon2Memory, Argon2Threads, KeySize)
	defer clear(master)
	return newCipher(master, o)
}

// NewFromKey returns a Cipher for key, which must be KeySize bytes from a
// cryptographically secure source (GenerateKey, or 32 random bytes kept in
// a secret store). The AES key is HKDF-SHA-256(key, info = purpose), so one
// key can serve several purposes (WithPurpose) without reuse. A key of
// another length, or all zero bytes, is rejected with ErrKeySize. key is
// not retained.
func NewFromKey(key []byte, opts ...Option) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: got %d bytes", ErrKeySize, len(key))
	}
	if subtle.ConstantTimeCompare(key, make([]byte, KeySize)) == 1 {
		return nil, fmt.Errorf("%w: key is all zero bytes", ErrKeySize)
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return newCipher(key, o)
}

func newCipher(master []byte, o options) (*Cipher, error) {
	aesKey, err := hkdf.Key(sha256.New, master, nil, infoAES+o.purpose, KeySize)
	if err != nil {
		return nil, fmt.Errorf("crypto: hkdf: %w", err)
	}
	defer clear(aesKey)
	aead, err := newAEAD(aesKey)
	if err != nil {
		return nil, err
	}
	id := o.keyID
	if !o.hasKeyID {
		fp, err := hkdf.Key(sha256.New, master, nil, infoKeyID+o.purpose, 4)
		if err != nil {
			return nil, fmt.Errorf("crypto: hkdf: %w", err)
		}
		id = binary.BigEndian.Uint32(fp)
	}
	return &Cipher{id: id, aead: aead}, nil
}

var errZeroCipher = errors.New("crypto: Cipher not created with New or NewFromKey")

// newAEAD is the primitive: AES-256 in GCM mode with 12-byte nonces and
// 16-byte tags. The test vectors check it.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: AES-256 needs %d bytes, got %d", ErrKeySize, KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("crypto: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("crypto: gcm: %w", err)
	}
	return aead, nil
}

// KeyID returns the key id this Cipher writes into ciphertexts (0 for a
// nil Cipher).
func (c *Cipher) KeyID() uint32 {
	if c == nil {
		return 0
	}
	return c.id
}

// Seal encrypts and authenticates plaintext, binds additionalData (which is
// authenticated but neither encrypted nor included in the output), and
// returns a new slice:
//
//	version (1 byte) | key id (4 bytes, big endian) | nonce (12) | ciphertext | tag (16)
//
// The nonce is random for every call. additionalData may be nil; Open must
// be given the same bytes. The error is non-nil only for a plaintext larger
// than AES-GCM allows (about 64 GiB).
func (c *Cipher) Seal(plaintext, additionalData []byte) ([]byte, error) {
	if c == nil || c.aead == nil {
		return nil, errZeroCipher
	}
	if uint64(len(plaintext)) > maxPlaintext {
		return nil, fmt.Errorf("crypto: plaintext of %d bytes exceeds the AES-GCM limit", len(plaintext))
	}
	// One allocation holds the GCM additional data (header | additionalData)
	// followed by the output; the returned slice starts after the former.
	n := Overhead + len(plaintext)
	a := HeaderSize + len(additionalData)
	buf := make([]byte, a+n)
	aad, out := buf[:a:a], buf[a:]
	out[0] = Version
	binary.BigEndian.PutUint32(out[1:HeaderSize], c.id)
	nonce := out[HeaderSize : HeaderSize+NonceSize]
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, fmt.Errorf("crypto: reading nonce: %w", err)
	}
	copy(aad, out[:HeaderSize])
	copy(aad[HeaderSize:], additionalData)
	c.aead.Seal(out[:HeaderSize+NonceSize], nonce, plaintext, aad)
	return out[:n:n], nil
}

// Open authenticates and decrypts a ciphertext made by Seal with the same
// key and additionalData, and returns the plaintext in a new slice. Any
// other input (empty, truncated, tampered, another version or key id, other
// additional data) gives an error wrapping ErrDecrypt; Open never panics.
func (c *Cipher) Open(ciphertext, additionalData []byte) ([]byte, error) {
	if c == nil || c.aead == nil {
		return nil, fmt.Errorf("%w: %w", ErrDecrypt, errZeroCipher)
	}
	id, err := parseHeader(ciphertext)
	if err != nil {
		return nil, err
	}
	if id != c.id {
		return nil, fmt.Errorf("%w: sealed under key id %#08x, not %#08x", ErrDecrypt, id, c.id)
	}
	return c.open(ciphertext, additionalData)
}

// open assumes parseHeader accepted ciphertext.
func (c *Cipher) open(ciphertext, additionalData []byte) ([]byte, error) {
	nonce := ciphertext[HeaderSize : HeaderSize+NonceSize]
	body := ciphertext[HeaderSize+NonceSize:]
	ptLen := len(body) - TagSize
	var dst, aad []byte
	if len(additionalData) == 0 {
		aad = ciphertext[:HeaderSize]
		dst = make([]byte, 0, ptLen)
	} else {
		// One allocation: the plaintext, then the GCM additional data.
		buf := make([]byte, ptLen+HeaderSize+len(additionalData))
		dst, aad = buf[:0:ptLen], buf[ptLen:]
		copy(aad, ciphertext[:HeaderSize])
		copy(aad[HeaderSize:], additionalData)
	}
	pt, err := c.aead.Open(dst, nonce, body, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// parseHeader checks the structure of a version 1 ciphertext and returns its
// key id.
func parseHeader(ciphertext []byte) (uint32, error) {
	switch {
	case len(ciphertext) == 0:
		return 0, fmt.Errorf("%w: empty input", ErrDecrypt)
	case ciphertext[0] != Version:
		return 0, fmt.Errorf("%w: unknown format version %d", ErrDecrypt, ciphertext[0])
	case len(ciphertext) < Overhead:
		return 0, fmt.Errorf("%w: truncated: %d bytes, need at least %d", ErrDecrypt, len(ciphertext), Overhead)
	}
	return binary.BigEndian.Uint32(ciphertext[1:HeaderSize]), nil
}

// SealString seals plaintext without additional data and returns the
// ciphertext in unpadded URL-safe base64 (alphabet A-Z a-z 0-9 - _), safe in URLs,
// cookies, headers and Redis values. Any bytes, UTF-8 or not, are accepted.
func (c *Cipher) SealString(plaintext string) (string, error) {
	return sealString(c, plaintext)
}

// OpenString reverses SealString. Input that is not canonical unpadded
// URL-safe base64, or that does not open, gives an error wrapping
// ErrDecrypt.
func (c *Cipher) OpenString(ciphertext string) (string, error) {
	return openString(c, ciphertext)
}

type sealOpener interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(ciphertext, additionalData []byte) ([]byte, error)
}

func sealString(s sealOpener, plaintext string) (string, error) {
	ct, err := s.Seal([]byte(plaintext), nil)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(ct), nil
}

func openString(s sealOpener, ciphertext string) (string, error) {
	if ciphertext == "" {
		return "", fmt.Errorf("%w: empty input", ErrDecrypt)
	}
	// The decoder skips CR and LF; refuse them so that one ciphertext has
	// exactly one string form.
	if strings.IndexByte(ciphertext, '\n') >= 0 || strings.IndexByte(ciphertext, '\r') >= 0 {
		return "", fmt.Errorf("%w: invalid base64", ErrDecrypt)
	}
	ct, err := strictBase64.DecodeString(ciphertext)
	if err != nil {
		return "", fmt.Errorf("%w: invalid base64", ErrDecrypt)
	}
	pt, err := s.Open(ct, nil)
	if err != nil {
		return "", err
	}
	return string(pt), nil
}

// String describes the Cipher without its key.
func (c *Cipher) String() string {
	if c == nil {
		return "crypto.Cipher(nil)"
	}
	return fmt.Sprintf("crypto.Cipher{keyID: %#08x, key: %s}", c.id, redacted)
}

// GoString is String, so %#v cannot print the key either.
func (c *Cipher) GoString() string { return c.String() }

// Format prints String for every verb, so no fmt verb prints key material.
func (c *Cipher) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue reports only the key id to log/slog.
func (c *Cipher) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.String("key_id", fmt.Sprintf("%#08x", c.id)),
		slog.String("key", redacted),
	)
}

// MarshalText writes String, never the key.
func (c *Cipher) MarshalText() ([]byte, error) { return []byte(c.String()), nil }
