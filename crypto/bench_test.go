package crypto_test

import (
	"fmt"
	"testing"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
)

var sizes = []int{64, 4096}

// BenchmarkSeal measures sealing one message (random nonce, AES-256-GCM,
// one allocation) at 64 B (a session record) and 4 KiB.
func BenchmarkSeal(b *testing.B) {
	c := newCipher(b, 1)
	for _, n := range sizes {
		pt := make([]byte, n)
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := c.Seal(pt, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%dB/ad", n), func(b *testing.B) {
			ad := []byte("apicrud:session:{0123456789abcdef}")
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := c.Seal(pt, ad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen measures authenticating and decrypting one message.
func BenchmarkOpen(b *testing.B) {
	c := newCipher(b, 1)
	for _, n := range sizes {
		ct, err := c.Seal(make([]byte, n), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := c.Open(ct, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpenKeyring measures Open through a Keyring of three keys with
// the ciphertext under an old key (the cost of rotation: a map lookup).
func BenchmarkOpenKeyring(b *testing.B) {
	old := newCipher(b, 1)
	ring, err := apicrypto.NewKeyring(newCipher(b, 3), newCipher(b, 2), old)
	if err != nil {
		b.Fatal(err)
	}
	ct, err := old.Seal(make([]byte, 64), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.Open(ct, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkString measures SealString+OpenString (base64 included) at 64 B
// and 4 KiB, the path Redis-backed stores use.
func BenchmarkString(b *testing.B) {
	c := newCipher(b, 1)
	for _, n := range sizes {
		pt := string(make([]byte, n))
		b.Run(fmt.Sprintf("%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				s, err := c.SealString(pt)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.OpenString(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSealParallel measures Seal from all cores on one shared Cipher.
func BenchmarkSealParallel(b *testing.B) {
	c := newCipher(b, 1)
	pt := make([]byte, 64)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Seal(pt, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkNew measures the one-time argon2id derivation of New.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apicrypto.New("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
