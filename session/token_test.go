package session_test

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

// sign makes a JWT the way an attacker or a misconfigured peer would.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return s
}

// claimsOf decodes a token's claims without verifying it.
func claimsOf(t *testing.T, tok session.Token) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	_, _, err := jwt.NewParser().ParseUnverified(string(tok), c)
	require.NoError(t, err)
	return c
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// tamper replaces the payload of a signed token, keeping its signature.
func tamper(t *testing.T, tok string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(p, &m))
	edit(m)
	p, err = json.Marshal(m)
	require.NoError(t, err)
	parts[1] = base64.RawURLEncoding.EncodeToString(p)
	return strings.Join(parts, ".")
}

// TestHostileTokens: every token in the table must be rejected; the
// "control" rows prove the forging helpers make otherwise valid tokens.
func TestHostileTokens(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	require.NoError(t, err)
	rsaPubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	hsEnv := newEnv(t)
	edEnv := newEnv(t, session.WithEdDSA(edKey))
	rsEnv := newEnv(t, session.WithRS256(rsaKey))
	hsKey, err := hkdf.Key(sha256.New, testSecret, nil, "apicrud/session/jwt-hs256", 32)
	require.NoError(t, err)

	now := time.Now()
	edLive, edTok, err := edEnv.m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	base := claimsOf(t, edTok)
	_, hsTok, err := hsEnv.m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	hsBase := claimsOf(t, hsTok)
	_, rsTok, err := rsEnv.m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	rsBase := claimsOf(t, rsTok)

	revoked, revokedTok, err := edEnv.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	require.NoError(t, edEnv.m.Delete(t.Context(), revoked))

	_, doomedTok, err := edEnv.m.Create(t.Context(), "u-doomed", []string{"user"}, session.Extra{})
	require.NoError(t, err)
	_, err = edEnv.m.DeleteAll(t.Context(), "u-doomed") // as deleting the account does
	require.NoError(t, err)

	otherJTI := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	edSign := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodEdDSA, edKey, c) }
	type row struct {
		name  string
		m     *session.Manager
		token string
		ok    bool
	}
	rows := []row{
		{"control: EdDSA forged with the right key", edEnv.m, edSign(base), true},
		{"control: HS256 forged with the right key", hsEnv.m, sign(t, jwt.SigningMethodHS256, hsKey, hsBase), true},
		{"control: RS256 forged with the right key", rsEnv.m, sign(t, jwt.SigningMethodRS256, rsaKey, rsBase), true},
		{"alg none", edEnv.m, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, base), false},
		{"alg none on HS256", hsEnv.m, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, hsBase), false},
		{"HS/RS confusion: HS256 keyed with the RSA public key", rsEnv.m, sign(t, jwt.SigningMethodHS256, rsaPubPEM, rsBase), false},
		{"HS/RS confusion: HS256 keyed with the DER public key", rsEnv.m, sign(t, jwt.SigningMethodHS256, pubDER, rsBase), false},
		{"RS256 token on an HS256 manager", hsEnv.m, sign(t, jwt.SigningMethodRS256, rsaKey, hsBase), false},
		{"HS512 with the right key", hsEnv.m, sign(t, jwt.SigningMethodHS512, hsKey, hsBase), false},
		{"EdDSA token on an RS256 manager", rsEnv.m, sign(t, jwt.SigningMethodEdDSA, edKey, rsBase), false},
		{"HS256 with another secret", hsEnv.m, sign(t, jwt.SigningMethodHS256, []byte("0123456789abcdef0123456789abcdef"), hsBase), false},
		{"expired", edEnv.m, edSign(with(base, "exp", now.Add(-time.Minute).Unix())), false},
		{"missing exp", edEnv.m, edSign(with(base, "exp", nil)), false},
		{"exp in the past as a string", edEnv.m, edSign(with(base, "exp", fmt.Sprint(now.Add(-time.Hour).Unix()))), false},
		{"exp in the future as a string", edEnv.m, edSign(with(base, "exp", fmt.Sprint(now.Add(time.Hour).Unix()))), false},
		{"exp as a string on HS256", hsEnv.m, sign(t, jwt.SigningMethodHS256, hsKey, with(hsBase, "exp", fmt.Sprint(now.Add(time.Hour).Unix()))), false},
		{"exp as a decimal string", edEnv.m, edSign(with(base, "exp", fmt.Sprint(now.Add(time.Hour).Unix())+".5")), false},
		{"exp as a bool", edEnv.m, edSign(with(base, "exp", true)), false},
		{"exp as an object", edEnv.m, edSign(with(base, "exp", map[string]any{"n": 1})), false},
		{"nbf as a string", edEnv.m, edSign(with(base, "nbf", fmt.Sprint(now.Unix()))), false},
		{"iat as a string", edEnv.m, edSign(with(base, "iat", fmt.Sprint(now.Unix()))), false},
		{"nbf null", edEnv.m, edSign(with(base, "nbf", "")), false},
		{"control: exp as a float number", edEnv.m, edSign(with(base, "exp", float64(now.Add(time.Hour).Unix())+0.5)), true},
		{"not yet valid (nbf)", edEnv.m, edSign(with(base, "nbf", now.Add(time.Hour).Unix())), false},
		{"issued in the future (iat)", edEnv.m, edSign(with(base, "iat", now.Add(time.Hour).Unix())), false},
		{"wrong issuer", edEnv.m, edSign(with(base, "iss", "evil")), false},
		{"missing issuer", edEnv.m, edSign(with(base, "iss", nil)), false},
		{"wrong audience", edEnv.m, edSign(with(base, "aud", "other-service")), false},
		{"missing audience", edEnv.m, edSign(with(base, "aud", nil)), false},
		{"tampered payload: roles", edEnv.m, tamper(t, string(edTok), func(m map[string]any) { m["auth"] = []string{"admin"} }), false},
		{"tampered payload: sub", edEnv.m, tamper(t, string(edTok), func(m map[string]any) { m["sub"] = "u-2" }), false},
		{"tampered payload: exp", edEnv.m, tamper(t, string(edTok), func(m map[string]any) { m["exp"] = now.Add(99 * time.Hour).Unix() }), false},
		{"signature stripped", edEnv.m, strings.Join(strings.Split(string(edTok), ".")[:2], ".") + ".", false},
		{"revoked session", edEnv.m, string(revokedTok), false},
		{"deleted user's token", edEnv.m, string(doomedTok), false},
		{"well signed, unknown jti", edEnv.m, edSign(with(base, "jti", otherJTI)), false},
		{"well signed, short jti", edEnv.m, edSign(with(base, "jti", "abc")), false},
		{"well signed, missing jti", edEnv.m, edSign(with(base, "jti", nil)), false},
		{"well signed, jti of u-1 under sub u-2", edEnv.m, edSign(with(base, "sub", "u-2")), false},
		{"well signed, sub with braces", edEnv.m, edSign(with(base, "sub", "{u-1}")), false},
		{"another manager's token (other key)", edEnv.m, string(hsTok), false},
		{"empty", edEnv.m, "", false},
		{"garbage", edEnv.m, "not.a.jwt", false},
		{"two parts", edEnv.m, "eyJhbGciOiJIUzI1NiJ9.e30", false},
		{"oversized", edEnv.m, strings.Repeat("a", 10000), false},
		{"newline inside (base64 decoders skip it)", edEnv.m, string(edTok)[:30] + "\n" + string(edTok)[30:], false},
		{"padding added", edEnv.m, string(edTok) + "=", false},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			s, err := r.m.Validate(t.Context(), r.token)
			if r.ok {
				require.NoError(t, err)
				require.Equal(t, "u-1", s.UID)
				return
			}
			require.ErrorIs(t, err, session.ErrInvalidToken)
			require.Nil(t, s)
		})
	}
	// The live session is untouched by all of this.
	s, err := edEnv.m.Validate(t.Context(), string(edTok))
	require.NoError(t, err)
	require.Equal(t, edLive.ID, s.ID)
}

func TestLeeway(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	e := newEnv(t, session.WithEdDSA(edKey), session.WithLeeway(5*time.Second))
	_, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	base := claimsOf(t, tok)
	now := time.Now()
	for _, tc := range []struct {
		name string
		c    jwt.MapClaims
		ok   bool
	}{
		{"nbf 2s ahead (skewed clock)", with(base, "nbf", now.Add(2*time.Second).Unix()), true},
		{"nbf 30s ahead", with(base, "nbf", now.Add(30*time.Second).Unix()), false},
		{"exp 2s ago", with(base, "exp", now.Add(-2*time.Second).Unix()), true},
		{"exp 30s ago", with(base, "exp", now.Add(-30*time.Second).Unix()), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.m.Validate(t.Context(), sign(t, jwt.SigningMethodEdDSA, edKey, tc.c))
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, session.ErrInvalidToken)
			}
		})
	}
}

func TestTokenClaims(t *testing.T) {
	e := newEnv(t, session.WithIssuer("contacts"), session.WithAudience("contacts-api"))
	s, tok, err := e.m.Create(t.Context(), "u-1", []string{"admin", "user"}, session.Extra{
		Scopes: []string{"a.read"}, CNonce: "xyz", Values: map[string]string{"username": "alice"},
	})
	require.NoError(t, err)
	c := claimsOf(t, tok)
	require.Equal(t, "contacts", c["iss"])
	require.Equal(t, "u-1", c["sub"])
	require.Equal(t, []any{"contacts-api"}, c["aud"])
	require.Equal(t, []any{"admin", "user"}, c["auth"])
	require.Equal(t, "a.read", c["scope"])
	require.Equal(t, "xyz", c["cnonce"])
	require.Equal(t, map[string]any{"username": "alice"}, c["ext"])
	require.InDelta(t, float64(s.Expires.Unix()), c["exp"], 1, "exp is an integer NumericDate")
	jti, ok := c["jti"].(string)
	require.True(t, ok)
	raw, err := base64.RawURLEncoding.DecodeString(jti)
	require.NoError(t, err)
	require.Len(t, raw, 32, "256-bit session secret")
	hdr := strings.Split(string(tok), ".")[0]
	h, err := base64.RawURLEncoding.DecodeString(hdr)
	require.NoError(t, err)
	require.Contains(t, string(h), `"alg":"HS256"`)
}

func TestTokenRedacts(t *testing.T) {
	e := newEnv(t)
	_, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
	require.NoError(t, err)
	for _, out := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %s %+v %#v", tok, tok, tok, tok)} {
		require.NotContains(t, out, string(tok)[:20])
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "token", tok)
	require.NotContains(t, b.String(), string(tok)[:20])
	j, err := json.Marshal(map[string]session.Token{"token": tok})
	require.NoError(t, err)
	require.Contains(t, string(j), string(tok), "JSON carries the token itself")
}

// FuzzValidate feeds arbitrary strings to the token parser: no panic, and
// nothing but the one real token authenticates.
func FuzzValidate(f *testing.F) {
	e := newEnv(f)
	live, tok, err := e.m.Create(f.Context(), "u-1", []string{"user"}, session.Extra{})
	require.NoError(f, err)
	parts := strings.Split(string(tok), ".")
	for _, s := range []string{
		string(tok), "", ".", "..", "a.b.c", parts[0] + "." + parts[1] + ".",
		parts[0] + ".e30." + parts[2], `eyJhbGciOiJub25lIn0.` + parts[1] + ".",
		string(tok) + "=", strings.ToUpper(string(tok)), strings.Repeat("A", 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := e.m.Validate(t.Context(), s)
		if err != nil {
			if got != nil {
				t.Fatalf("session and error both returned")
			}
			return
		}
		if s != string(tok) || got.ID != live.ID {
			t.Fatalf("token %q authenticated session %s", s, got.ID)
		}
	})
}

// TestJWTLibraryVersion: golang-jwt v5 before 5.2.2 allocated without
// bound on a header full of dots (CVE-2025-30204). The module must
// require a fixed version; govulncheck (make lint) watches for later ones.
func TestJWTLibraryVersion(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	var version string
	for line := range strings.Lines(string(mod)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "github.com/golang-jwt/jwt/v5" {
			version = f[1]
		} else if len(f) >= 3 && f[0] == "require" && f[1] == "github.com/golang-jwt/jwt/v5" {
			version = f[2]
		}
	}
	require.NotEmpty(t, version, "go.mod does not require github.com/golang-jwt/jwt/v5")
	var major, minor, patch int
	_, err = fmt.Sscanf(strings.SplitN(strings.TrimPrefix(version, "v"), "-", 2)[0], "%d.%d.%d", &major, &minor, &patch)
	require.NoError(t, err, "version %s", version)
	fixed := major > 5 || major == 5 && (minor > 2 || minor == 2 && patch >= 2)
	require.True(t, fixed, "golang-jwt %s is affected by CVE-2025-30204: require v5.2.2 or later", version)

	// The exploit's shape (a token of dots, within the 8 KiB the parser
	// accepts) is rejected.
	e := newEnv(t)
	_, err = e.m.Validate(t.Context(), strings.Repeat(".", 8000))
	require.ErrorIs(t, err, session.ErrInvalidToken)
}
