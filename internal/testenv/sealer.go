package testenv

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"testing"
)

// Sealer is AES-256-GCM with a random key and a random nonce before each
// ciphertext: the Seal/Open pair that session and login take, for tests
// that may not import the crypto package (a sibling of theirs).
type Sealer struct{ aead cipher.AEAD }

// NewSealer returns a Sealer with a fresh random key.
func NewSealer(t testing.TB) *Sealer {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return &Sealer{aead: aead}
}

// Seal encrypts pt, authenticating ad too.
func (s *Sealer) Seal(pt, ad []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, pt, ad), nil
}

// Open decrypts what Seal made with the same ad.
func (s *Sealer) Open(ct, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(ct) < n+s.aead.Overhead() {
		return nil, errors.New("testenv: short ciphertext")
	}
	return s.aead.Open(nil, ct[:n], ct[n:], ad)
}
