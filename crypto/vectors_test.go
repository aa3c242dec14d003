package crypto

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAES256GCMVectors checks the primitive every Cipher uses (newAEAD:
// AES-256, GCM, 96-bit nonce, 128-bit tag) against test cases 13-16 of
// McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", the
// AES-256 cases with 96-bit IVs (also in NIST's GCM validation vectors).
func TestAES256GCMVectors(t *testing.T) {
	const (
		k15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
		p15 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
			"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
		c15 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
			"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
	)
	zeroKey := "0000000000000000000000000000000000000000000000000000000000000000"
	tests := []struct {
		name, key, iv, plaintext, aad, ciphertext, tag string
	}{
		{"case13", zeroKey, "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
		{"case14", zeroKey, "000000000000000000000000", "00000000000000000000000000000000", "",
			"cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
		{"case15", k15, "cafebabefacedbaddecaf888", p15, "", c15, "b094dac5d93471bdec1a502270e3cc6c"},
		{"case16", k15, "cafebabefacedbaddecaf888", p15[:120], "feedfacedeadbeeffeedfacedeadbeefabaddad2",
			c15[:120], "76fc6ece0f4e1768cddf8853bb2d551b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, iv, pt, aad, want := unhex(t, tt.key), unhex(t, tt.iv), unhex(t, tt.plaintext), unhex(t, tt.aad), unhex(t, tt.ciphertext+tt.tag)
			aead, err := newAEAD(key)
			require.NoError(t, err)
			require.Equal(t, NonceSize, aead.NonceSize())
			require.Equal(t, TagSize, aead.Overhead())

			got := aead.Seal(nil, iv, pt, aad)
			require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(got))

			opened, err := aead.Open(nil, iv, want, aad)
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(pt), hex.EncodeToString(opened))

			bad := append([]byte(nil), want...)
			bad[len(bad)-1] ^= 1
			_, err = aead.Open(nil, iv, bad, aad)
			require.Error(t, err)
		})
	}
}

func TestNewAEADRejectsOtherKeySizes(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		_, err := newAEAD(make([]byte, n))
		require.ErrorIs(t, err, ErrKeySize, "key of %d bytes", n)
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}
