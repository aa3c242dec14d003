package passkey_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// authenticator is a software passkey (ES256, attestation "none"): the
// test plays the browser and the authenticator, so it can also play them
// wrongly.
type authenticator struct {
	key        *ecdsa.PrivateKey
	id         []byte
	rpID       string
	origin     string
	userHandle []byte
	count      uint32
	uv         bool // user verification flag
	be         bool // backup eligible (a synced passkey)
	step       uint32
}

const (
	testRPID   = "example.com"
	testOrigin = "https://example.com"
)

func newAuthenticator(t testing.TB) *authenticator {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &authenticator{key: key, id: id, rpID: testRPID, origin: testOrigin, uv: true, step: 1}
}

var b64 = base64.RawURLEncoding

// cbor encodes the few CBOR items WebAuthn needs: unsigned and negative
// integers, byte and text strings, and maps (given as key, value pairs
// in canonical order).
type cbor []byte

func (c cbor) head(major byte, n uint64) cbor {
	switch {
	case n < 24:
		return append(c, major<<5|byte(n))
	case n < 1<<8:
		return append(c, major<<5|24, byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(c, major<<5|25), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(c, major<<5|26), uint32(n))
	}
}

func (c cbor) item(v any) cbor {
	switch x := v.(type) {
	case int:
		if x >= 0 {
			return c.head(0, uint64(x))
		}
		return c.head(1, uint64(-1-x))
	case []byte:
		return append(c.head(2, uint64(len(x))), x...)
	case string:
		return append(c.head(3, uint64(len(x))), x...)
	case []any: // a map: key, value, key, value …
		c = c.head(5, uint64(len(x)/2))
		for _, e := range x {
			c = c.item(e)
		}
		return c
	}
	panic("cbor: unsupported type")
}

func (a *authenticator) coseKey() []byte {
	point, err := a.key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		panic(err)
	}
	return cbor(nil).item([]any{1, 2, 3, -7, -1, 1, -2, point[1:33], -3, point[33:65]})
}

func (a *authenticator) authData(attested bool) []byte {
	h := sha256.Sum256([]byte(a.rpID))
	flags := byte(0x01) // user present
	if a.uv {
		flags |= 0x04
	}
	if a.be {
		flags |= 0x08
	}
	if attested {
		flags |= 0x40
	}
	d := append(h[:], flags)
	d = binary.BigEndian.AppendUint32(d, a.count)
	if attested {
		d = append(d, make([]byte, 16)...) // AAGUID
		d = binary.BigEndian.AppendUint16(d, uint16(len(a.id)))
		d = append(d, a.id...)
		d = append(d, a.coseKey()...)
	}
	return d
}

// options reads the challenge (and the user handle of a registration)
// from a Challenge's Options.
func options(t testing.TB, raw json.RawMessage) (challenge string, userID []byte) {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			User      struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	require.NoError(t, json.Unmarshal(raw, &o))
	if o.PublicKey.User.ID != "" {
		var err error
		userID, err = b64.DecodeString(o.PublicKey.User.ID)
		require.NoError(t, err)
	}
	return o.PublicKey.Challenge, userID
}

func (a *authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return b
}

// create answers a registration Challenge's Options as a browser would.
func (a *authenticator) create(t testing.TB, raw json.RawMessage) []byte {
	t.Helper()
	challenge, userID := options(t, raw)
	a.userHandle = userID
	att := cbor(nil).item([]any{"fmt", "none", "attStmt", []any{}, "authData", a.authData(true)})
	resp, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
	})
	require.NoError(t, err)
	return resp
}

// get answers a login Challenge's Options, advancing the counter by
// a.step first.
func (a *authenticator) get(t testing.TB, raw json.RawMessage) []byte {
	t.Helper()
	challenge, _ := options(t, raw)
	a.count += a.step
	cd := a.clientData("webauthn.get", challenge)
	ad := a.authData(false)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	require.NoError(t, err)
	resp, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(ad),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(a.userHandle),
		},
	})
	require.NoError(t, err)
	return resp
}
