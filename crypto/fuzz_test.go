package crypto_test

import (
	"bytes"
	"errors"
	"testing"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
)

// FuzzOpen checks that Open never panics, fails only with ErrDecrypt, and
// that any input it accepts re-seals and re-opens to the same plaintext.
func FuzzOpen(f *testing.F) {
	c := newCipher(f, 1, apicrypto.WithKeyID(7))
	ring, err := apicrypto.NewKeyring(newCipher(f, 2, apicrypto.WithKeyID(8)), c)
	if err != nil {
		f.Fatal(err)
	}
	for _, pt := range []string{"", "x", `{"auth":"user"}`} {
		ct, err := c.Seal([]byte(pt), []byte("ad"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct, []byte("ad"))
		f.Add(ct[:len(ct)-1], []byte("ad"))
	}
	f.Add([]byte{}, []byte(nil))
	f.Add([]byte{1, 0, 0, 0, 7}, []byte(nil))
	f.Add(make([]byte, 33), []byte(nil))
	f.Fuzz(func(t *testing.T, ct, ad []byte) {
		for _, s := range []sealer{c, ring} {
			pt, err := s.Open(ct, ad)
			if err != nil {
				if !errors.Is(err, apicrypto.ErrDecrypt) {
					t.Fatalf("Open error %v does not wrap ErrDecrypt", err)
				}
				if pt != nil {
					t.Fatalf("Open returned %d bytes with an error", len(pt))
				}
				continue
			}
			// Accepted: only a genuine ciphertext can get here.
			again, err := s.Seal(pt, ad)
			if err != nil {
				t.Fatal(err)
			}
			back, err := s.Open(again, ad)
			if err != nil || !bytes.Equal(pt, back) {
				t.Fatalf("round trip of an accepted plaintext failed: %v", err)
			}
		}
	})
}

// FuzzOpenString is FuzzOpen for the base64 string form.
func FuzzOpenString(f *testing.F) {
	c := newCipher(f, 1)
	for _, pt := range []string{"", "hello", "héllo"} {
		ct, err := c.SealString(pt)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ct)
		f.Add(ct[:len(ct)-1])
		f.Add(ct + "=")
	}
	f.Add("")
	f.Add("!!!")
	f.Add("AQAAAAA\n")
	f.Fuzz(func(t *testing.T, in string) {
		pt, err := c.OpenString(in)
		if err != nil {
			if !errors.Is(err, apicrypto.ErrDecrypt) {
				t.Fatalf("OpenString error %v does not wrap ErrDecrypt", err)
			}
			if pt != "" {
				t.Fatalf("OpenString returned %q with an error", pt)
			}
			return
		}
		again, err := c.SealString(pt)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := c.OpenString(again); err != nil || back != pt {
			t.Fatalf("round trip of an accepted plaintext failed: %v", err)
		}
	})
}
