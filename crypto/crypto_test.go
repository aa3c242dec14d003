package crypto_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
)

// sealer is the interface consumers (session, registry) declare.
type sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(ciphertext, additionalData []byte) ([]byte, error)
}

// stringSealer is the string half of the contract.
type stringSealer interface {
	SealString(string) (string, error)
	OpenString(string) (string, error)
}

var (
	_ sealer         = (*apicrypto.Cipher)(nil)
	_ sealer         = (*apicrypto.Keyring)(nil)
	_ stringSealer   = (*apicrypto.Cipher)(nil)
	_ stringSealer   = (*apicrypto.Keyring)(nil)
	_ slog.LogValuer = apicrypto.Key{}
	_ slog.LogValuer = (*apicrypto.Cipher)(nil)
	_ slog.LogValuer = (*apicrypto.Keyring)(nil)
)

func testKey(t testing.TB, seed byte) []byte {
	t.Helper()
	key := make([]byte, apicrypto.KeySize)
	for i := range key {
		key[i] = seed + byte(i)
	}
	return key
}

func newCipher(t testing.TB, seed byte, opts ...apicrypto.Option) *apicrypto.Cipher {
	t.Helper()
	c, err := apicrypto.NewFromKey(testKey(t, seed), opts...)
	require.NoError(t, err)
	return c
}

func TestNewRejectsShortPassphrase(t *testing.T) {
	for _, p := range []string{"", "Q", "fifteen bytes!!", strings.Repeat("é", 7)} { // é is 2 bytes: 14
		_, err := apicrypto.New(p)
		require.ErrorIs(t, err, apicrypto.ErrShortPassphrase, "passphrase %q", p)
		if len(p) > 1 {
			require.NotContains(t, err.Error(), p, "the error must not echo the passphrase")
		}
	}
}

func TestNewFromKeyRejectsBadKeys(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"16 bytes", make([]byte, 16)},
		{"31 bytes", bytes.Repeat([]byte{1}, 31)},
		{"33 bytes", bytes.Repeat([]byte{1}, 33)},
		{"all zero", make([]byte, 32)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := apicrypto.NewFromKey(tt.key)
			require.ErrorIs(t, err, apicrypto.ErrKeySize)
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	_, err := apicrypto.NewFromKey(testKey(t, 1), apicrypto.WithSalt([]byte("short")))
	require.ErrorIs(t, err, apicrypto.ErrOption)
	_, err = apicrypto.NewFromKey(testKey(t, 1), apicrypto.WithPurpose(strings.Repeat("p", 256)))
	require.ErrorIs(t, err, apicrypto.ErrOption)
	_, err = apicrypto.NewFromKey(testKey(t, 1), nil) // a nil option is ignored
	require.NoError(t, err)
}

// TestPassphrase covers the argon2id path: the same passphrase and salt give
// the same key on two "instances", another salt gives another key, and the
// derivation is pinned by a golden ciphertext so that no change to the KDF
// parameters goes unnoticed.
func TestPassphrase(t *testing.T) {
	const pass = "correct horse battery staple"
	a, err := apicrypto.New(pass)
	require.NoError(t, err)
	require.Equal(t, uint32(0x6bb87bbd), a.KeyID())

	golden := "AWu4e71JL5uipKvJ0JGS5HmaNrXm1DCfc6OP1c3ljtgqqevvM0k"
	got, err := a.OpenString(golden)
	require.NoError(t, err)
	require.Equal(t, "hello", got)

	b, err := apicrypto.New(pass)
	require.NoError(t, err)
	ct, err := a.SealString("shared")
	require.NoError(t, err)
	got, err = b.OpenString(ct)
	require.NoError(t, err)
	require.Equal(t, "shared", got)

	salted, err := apicrypto.New(pass, apicrypto.WithSalt([]byte("deployment-specific-salt")), apicrypto.WithKeyID(a.KeyID()))
	require.NoError(t, err)
	_, err = salted.OpenString(ct)
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)
}

// TestGoldenFromKey pins format version 1 and the HKDF derivation.
func TestGoldenFromKey(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i + 1)
	}
	c, err := apicrypto.NewFromKey(key, apicrypto.WithPurpose("golden"))
	require.NoError(t, err)
	require.Equal(t, uint32(0x3873ca1f), c.KeyID())
	ct, err := hex.DecodeString("013873ca1f02c5dc5be7c7b45f89198da9fe2cf31f4bd14ab37a567afa0e6646158844e1b7c489381c8aa388abdc50bfdd2cb848585858eeb2")
	require.NoError(t, err)
	pt, err := c.Open(ct, []byte("ad"))
	require.NoError(t, err)
	require.Equal(t, "apicrud golden plaintext", string(pt))
}

func TestRoundTrip(t *testing.T) {
	c := newCipher(t, 1)
	tests := []struct {
		name          string
		plaintext, ad []byte
	}{
		{"empty", nil, nil},
		{"empty with ad", []byte{}, []byte("context")},
		{"one byte", []byte{0}, nil},
		{"64 B", bytes.Repeat([]byte{'x'}, 64), nil},
		{"4 KiB with ad", bytes.Repeat([]byte{0xff}, 4096), []byte("reg:main:x")},
		{"not UTF-8", []byte{0xc3, 0x28, 0xa0, 0xa1}, []byte{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, err := c.Seal(tt.plaintext, tt.ad)
			require.NoError(t, err)
			require.Len(t, ct, len(tt.plaintext)+apicrypto.Overhead)
			require.Equal(t, apicrypto.Version, ct[0])
			require.Equal(t, len(ct), cap(ct), "the result must not expose scratch capacity")
			pt, err := c.Open(ct, tt.ad)
			require.NoError(t, err)
			require.Equal(t, len(tt.plaintext), len(pt))
			require.True(t, bytes.Equal(tt.plaintext, pt))
		})
	}
}

func TestStringRoundTrip(t *testing.T) {
	c := newCipher(t, 1)
	for _, s := range []string{"", "a", `{"auth":"user","uid":"x-1"}`, "héllo wörld ✓", "\x00\xff\xfe", strings.Repeat("z", 5000)} {
		ct, err := c.SealString(s)
		require.NoError(t, err)
		require.NotContains(t, ct, "=")
		require.NotContains(t, ct, "+")
		require.NotContains(t, ct, "/")
		got, err := c.OpenString(ct)
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
}

func TestNonceIsRandom(t *testing.T) {
	c := newCipher(t, 1)
	seen := make(map[string]bool)
	for range 1000 {
		ct, err := c.Seal([]byte("same"), nil)
		require.NoError(t, err)
		nonce := string(ct[apicrypto.HeaderSize : apicrypto.HeaderSize+apicrypto.NonceSize])
		require.False(t, seen[nonce], "nonce repeated")
		seen[nonce] = true
	}
}

// TestOpenHostile feeds Open everything an attacker with write access to
// the storage could produce (the §20.6 threat) and expects ErrDecrypt.
func TestOpenHostile(t *testing.T) {
	c := newCipher(t, 1)
	ad := []byte("reg:main:a")
	ct, err := c.Seal([]byte(`{"auth":"user"}`), ad)
	require.NoError(t, err)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), ct...)) }
	other := newCipher(t, 2)
	sameID := newCipher(t, 2, apicrypto.WithKeyID(c.KeyID()))
	otherPurpose := newCipher(t, 1, apicrypto.WithPurpose("session"), apicrypto.WithKeyID(c.KeyID()))
	fromOther, err := other.Seal([]byte(`{"auth":"admin"}`), ad)
	require.NoError(t, err)
	fromSameID, err := sameID.Seal([]byte(`{"auth":"admin"}`), ad)
	require.NoError(t, err)

	tests := []struct {
		name string
		in   []byte
		ad   []byte
	}{
		{"nil", nil, ad},
		{"empty", []byte{}, ad},
		{"version byte only", []byte{apicrypto.Version}, ad},
		{"version 0", mod(func(b []byte) []byte { b[0] = 0; return b }), ad},
		{"version 2", mod(func(b []byte) []byte { b[0] = 2; return b }), ad},
		{"version 0xff", mod(func(b []byte) []byte { b[0] = 0xff; return b }), ad},
		{"header only", ct[:apicrypto.HeaderSize], ad},
		{"header and nonce", ct[:apicrypto.HeaderSize+apicrypto.NonceSize], ad},
		{"one byte short of overhead", ct[:apicrypto.Overhead-1], ad},
		{"truncated by one", ct[:len(ct)-1], ad},
		{"tag removed", ct[:len(ct)-apicrypto.TagSize], ad},
		{"trailing byte", append(append([]byte(nil), ct...), 0), ad},
		{"other key id", mod(func(b []byte) []byte { b[1] ^= 0x80; return b }), ad},
		{"sealed under another key", fromOther, ad},
		{"another key with the same id", fromSameID, ad},
		{"wrong additional data", ct, []byte("reg:main:b")},
		{"missing additional data", ct, nil},
		{"extra additional data", ct, append(append([]byte(nil), ad...), 0)},
		{"CBC-style bit flip in first block", mod(func(b []byte) []byte {
			b[apicrypto.HeaderSize+apicrypto.NonceSize+3] ^= 'u' ^ 'a'
			return b
		}), ad},
		{"zero tag", mod(func(b []byte) []byte { clear(b[len(b)-apicrypto.TagSize:]); return b }), ad},
		{"all zero of the right length", make([]byte, len(ct)), ad},
		{"base64 text instead of bytes", []byte(base64.RawURLEncoding.EncodeToString(ct)), ad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt, err := c.Open(tt.in, tt.ad)
			require.ErrorIs(t, err, apicrypto.ErrDecrypt)
			require.Nil(t, pt)
		})
	}
	t.Run("purpose separation", func(t *testing.T) {
		_, err := otherPurpose.Open(ct, ad)
		require.ErrorIs(t, err, apicrypto.ErrDecrypt)
	})
	t.Run("every single bit flip", func(t *testing.T) {
		for i := range ct {
			for bit := range 8 {
				b := append([]byte(nil), ct...)
				b[i] ^= 1 << bit
				_, err := c.Open(b, ad)
				require.ErrorIs(t, err, apicrypto.ErrDecrypt, "byte %d bit %d", i, bit)
			}
		}
	})
	t.Run("input is not modified", func(t *testing.T) {
		before := append([]byte(nil), ct...)
		_, err := c.Open(ct, ad)
		require.NoError(t, err)
		require.Equal(t, before, ct)
	})
}

func TestOpenStringHostile(t *testing.T) {
	c := newCipher(t, 1)
	good, err := c.SealString("payload")
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(good)
	require.NoError(t, err)
	// Flip the unused low bits of the last character: same bytes under a
	// lax decoder, so only a strict decoder rejects it.
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", good[len(good)-1])
	nonCanonical := good[:len(good)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last^1])

	tests := []struct{ name, in string }{
		{"empty", ""},
		{"not base64", "!!!!"},
		{"padded", good + "=="},
		{"standard alphabet", base64.RawStdEncoding.EncodeToString(raw) + "+/"},
		{"newline inside", good[:10] + "\n" + good[10:]},
		{"carriage return at end", good + "\r"},
		{"space", " " + good},
		{"truncated", good[:len(good)-2]},
		{"one character", "A"},
		{"non-canonical trailing bits", nonCanonical},
		{"valid base64 of garbage", base64.RawURLEncoding.EncodeToString([]byte("garbage garbage garbage garbage garbage"))},
		{"NUL bytes", "\x00\x00\x00\x00"},
		{"invalid UTF-8", "\xff\xfe\xfd"},
		{"huge", strings.Repeat("A", 1<<20)},
		{"python AESEncrypt output", "q1v9h0xB0vB2b3y6m3p1dA0bYk3o2r1H8iJ2n5Wm9Xc="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.OpenString(tt.in)
			require.ErrorIs(t, err, apicrypto.ErrDecrypt)
			require.Empty(t, got)
		})
	}
}

func TestKeyring(t *testing.T) {
	k1 := newCipher(t, 1, apicrypto.WithKeyID(1))
	k2 := newCipher(t, 2, apicrypto.WithKeyID(2))
	k3 := newCipher(t, 3, apicrypto.WithKeyID(3))

	ring, err := apicrypto.NewKeyring(k1)
	require.NoError(t, err)
	old, err := ring.SealString("sealed under key 1")
	require.NoError(t, err)
	oldBytes, err := ring.Seal([]byte("bytes under key 1"), []byte("ad"))
	require.NoError(t, err)

	ring, err = ring.Rotate(k2)
	require.NoError(t, err)
	require.Equal(t, uint32(2), ring.PrimaryID())
	require.Equal(t, []uint32{1, 2}, ring.KeyIDs())

	got, err := ring.OpenString(old)
	require.NoError(t, err, "old ciphertexts open after rotation")
	require.Equal(t, "sealed under key 1", got)
	gotBytes, err := ring.Open(oldBytes, []byte("ad"))
	require.NoError(t, err)
	require.Equal(t, "bytes under key 1", string(gotBytes))

	fresh, err := ring.Seal([]byte("new"), nil)
	require.NoError(t, err)
	_, err = k2.Open(fresh, nil)
	require.NoError(t, err, "the new primary seals")
	_, err = k1.Open(fresh, nil)
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)

	// A single Cipher opens what a Keyring sealed with it, and vice versa.
	single, err := k2.SealString("from the cipher")
	require.NoError(t, err)
	got, err = ring.OpenString(single)
	require.NoError(t, err)
	require.Equal(t, "from the cipher", got)

	// Retiring key 1 makes its ciphertexts fail.
	retired, err := ring.Retire(1)
	require.NoError(t, err)
	require.Equal(t, []uint32{2}, retired.KeyIDs())
	_, err = retired.OpenString(old)
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)
	_, err = ring.OpenString(old)
	require.NoError(t, err, "Retire returns a new Keyring; the old one is unchanged")

	_, err = ring.Retire(2)
	require.ErrorIs(t, err, apicrypto.ErrKeyring, "the primary cannot be retired")
	_, err = ring.Retire(9)
	require.ErrorIs(t, err, apicrypto.ErrKeyring)
	_, err = ring.Rotate(k1)
	require.ErrorIs(t, err, apicrypto.ErrKeyring, "an id already present")

	three, err := ring.Rotate(k3)
	require.NoError(t, err)
	require.Equal(t, []uint32{1, 2, 3}, three.KeyIDs())

	// Hostile input through a Keyring.
	for _, in := range [][]byte{nil, {}, {1}, {2, 0, 0, 0, 1}, make([]byte, 40)} {
		_, err := three.Open(in, nil)
		require.ErrorIs(t, err, apicrypto.ErrDecrypt)
	}
	ct := append([]byte(nil), oldBytes...)
	ct[4] = 9 // key id 9 is unknown
	_, err = three.Open(ct, []byte("ad"))
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)
	ct[4] = 2 // key id 2 is known but did not seal this
	_, err = three.Open(ct, []byte("ad"))
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)
}

func TestNewKeyringRejects(t *testing.T) {
	k1 := newCipher(t, 1, apicrypto.WithKeyID(1))
	dup := newCipher(t, 2, apicrypto.WithKeyID(1))
	_, err := apicrypto.NewKeyring(nil)
	require.ErrorIs(t, err, apicrypto.ErrKeyring)
	_, err = apicrypto.NewKeyring(k1, nil)
	require.ErrorIs(t, err, apicrypto.ErrKeyring)
	_, err = apicrypto.NewKeyring(k1, dup)
	require.ErrorIs(t, err, apicrypto.ErrKeyring)
	_, err = apicrypto.NewKeyring(k1, k1)
	require.ErrorIs(t, err, apicrypto.ErrKeyring)
}

func TestDefaultKeyIDsDiffer(t *testing.T) {
	a, b := newCipher(t, 1), newCipher(t, 2)
	require.NotEqual(t, a.KeyID(), b.KeyID())
	p := newCipher(t, 1, apicrypto.WithPurpose("session"))
	require.NotEqual(t, a.KeyID(), p.KeyID(), "the purpose changes the fingerprint")
	_, err := apicrypto.NewKeyring(a, b, p)
	require.NoError(t, err, "distinct keys need no explicit ids")
}

func TestKey(t *testing.T) {
	k, err := apicrypto.GenerateKey()
	require.NoError(t, err)
	parsed, err := apicrypto.ParseKey(k.Encode())
	require.NoError(t, err)
	require.Equal(t, k.Bytes(), parsed.Bytes())

	for _, form := range []string{
		hex.EncodeToString(k.Bytes()),
		base64.StdEncoding.EncodeToString(k.Bytes()),
		base64.URLEncoding.EncodeToString(k.Bytes()),
		"  " + k.Encode() + "\n",
	} {
		p, err := apicrypto.ParseKey(form)
		require.NoError(t, err, form)
		require.Equal(t, k.Bytes(), p.Bytes())
	}
	for _, bad := range []string{"", "short", hex.EncodeToString(make([]byte, 32)), k.Encode()[:40], k.Encode() + "AAAA", strings.Repeat("!", 43), "zz" + hex.EncodeToString(k.Bytes())[2:]} {
		_, err := apicrypto.ParseKey(bad)
		require.ErrorIs(t, err, apicrypto.ErrKeySize, "%q", bad)
	}

	c, err := apicrypto.NewFromKey(k.Bytes())
	require.NoError(t, err)
	ct, err := c.SealString("x")
	require.NoError(t, err)
	c2, err := apicrypto.NewFromKey(parsed.Bytes())
	require.NoError(t, err)
	got, err := c2.OpenString(ct)
	require.NoError(t, err)
	require.Equal(t, "x", got)
}

// TestRedaction prints key material every way a host might by accident.
func TestRedaction(t *testing.T) {
	k, err := apicrypto.GenerateKey()
	require.NoError(t, err)
	c, err := apicrypto.NewFromKey(k.Bytes(), apicrypto.WithKeyID(0xabcdef01))
	require.NoError(t, err)
	ring, err := apicrypto.NewKeyring(c)
	require.NoError(t, err)

	secrets := []string{
		k.Encode(),
		hex.EncodeToString(k.Bytes()),
		base64.StdEncoding.EncodeToString(k.Bytes()),
		fmt.Sprint(k.Bytes()),
	}
	var outputs []string
	for _, v := range []any{k, &k, c, *c, ring, *ring} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
		j, err := json.Marshal(v)
		require.NoError(t, err)
		outputs = append(outputs, string(j))
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", v)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", v)
		outputs = append(outputs, buf.String())
	}
	for _, out := range outputs {
		for _, s := range secrets {
			require.NotContains(t, out, s)
		}
	}
	require.Equal(t, "[REDACTED]", k.String())
	require.Contains(t, c.String(), "0xabcdef01")
	require.Contains(t, ring.String(), "0xabcdef01")
}

func TestConcurrentUse(t *testing.T) {
	k1 := newCipher(t, 1, apicrypto.WithKeyID(1))
	ring, err := apicrypto.NewKeyring(newCipher(t, 2, apicrypto.WithKeyID(2)), k1)
	require.NoError(t, err)
	old, err := k1.Seal([]byte("old"), nil)
	require.NoError(t, err)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 200 {
				ct, err := ring.Seal([]byte("concurrent"), []byte("ad"))
				if err == nil {
					_, err = ring.Open(ct, []byte("ad"))
				}
				if err == nil {
					_, err = ring.Open(old, nil)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
}

// TestDefect20_6MalleableEncryption replays the attack on apicrud's
// AESEncrypt (behaviour §20.6): knowing the plaintext's layout, an attacker
// with write access to Redis flips ciphertext bits to turn "user" into
// "root" (with CBC, through the IV; with a bare stream mode, in place). With
// AES-GCM the forged ciphertext fails authentication.
func TestDefect20_6MalleableEncryption(t *testing.T) {
	c := newCipher(t, 1)
	plain := []byte(`{"auth":"user","uid":"x-1"}`)
	ct, err := c.Seal(plain, nil)
	require.NoError(t, err)
	at := bytes.Index(plain, []byte("user"))
	body := apicrypto.HeaderSize + apicrypto.NonceSize
	forged := bytes.Clone(ct)
	for i, b := range []byte("root") {
		forged[body+at+i] ^= plain[at+i] ^ b
	}
	_, err = c.Open(forged, nil)
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)

	// The same flip on the nonce (the IV trick of CBC) fails too.
	forged = bytes.Clone(ct)
	for i, b := range []byte("root") {
		forged[apicrypto.HeaderSize+i] ^= plain[at+i] ^ b
	}
	_, err = c.Open(forged, nil)
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)
}

// TestZeroValues: a zero Cipher or Keyring (not built by a constructor)
// returns errors, never panics.
func TestZeroValues(t *testing.T) {
	var c apicrypto.Cipher
	_, err := c.Seal([]byte("x"), nil)
	require.Error(t, err)
	_, err = c.Open(make([]byte, 40), nil)
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)
	_, err = c.SealString("x")
	require.Error(t, err)
	var nilCipher *apicrypto.Cipher
	_, err = nilCipher.Seal(nil, nil)
	require.Error(t, err)
	_, err = nilCipher.Open(make([]byte, 40), nil)
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)
	require.Equal(t, "crypto.Cipher(nil)", nilCipher.String())
	require.Zero(t, nilCipher.KeyID())

	var k apicrypto.Keyring
	_, err = k.Seal([]byte("x"), nil)
	require.ErrorIs(t, err, apicrypto.ErrKeyring)
	_, err = k.Open([]byte{1, 0, 0, 0, 0}, nil)
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)
	_, err = k.Retire(1)
	require.ErrorIs(t, err, apicrypto.ErrKeyring)
	require.Equal(t, uint32(0), k.PrimaryID())
	require.Empty(t, k.KeyIDs())
	require.Equal(t, "crypto.Keyring(nil)", k.String())
	var nilRing *apicrypto.Keyring
	require.Zero(t, nilRing.PrimaryID())
	require.Empty(t, nilRing.KeyIDs())
	_, err = nilRing.Open([]byte{1, 0, 0, 0, 0}, nil)
	require.ErrorIs(t, err, apicrypto.ErrDecrypt)
	_, err = nilRing.Seal([]byte("x"), nil)
	require.ErrorIs(t, err, apicrypto.ErrKeyring)
	ring, err := k.Rotate(newCipher(t, 1, apicrypto.WithKeyID(5)))
	require.NoError(t, err)
	require.Equal(t, uint32(5), ring.PrimaryID())
}
