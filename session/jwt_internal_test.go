package session

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// jwtClaims is the struct golang-jwt and encoding/json signed before
// appendClaims: tokens must keep that form.
type jwtClaims struct {
	jwt.RegisteredClaims
	Auth   []string          `json:"auth"`
	Scope  string            `json:"scope,omitempty"`
	CNonce string            `json:"cnonce,omitempty"`
	Ext    map[string]string `json:"ext,omitempty"`
	AMR    []string          `json:"amr,omitempty"`
	// AuthTime is the unix time of the latest authentication.
	AuthTime int64 `json:"auth_time,omitempty"`
}

// TestAppendClaimsMatchesEncodingJSON: the claims are the bytes
// encoding/json writes, for hostile strings too (quotes, controls, HTML
// characters, U+2028, invalid UTF-8, non-ASCII).
func TestAppendClaimsMatchesEncodingJSON(t *testing.T) {
	hostile := []string{"", "plain", `a"b\c`, "\x00\x01\b\f\n\r\t\x1f\x7f", "<script>&amp;</script>",
		"line\u2028para\u2029", "bad\xffutf8\xc3", "ünïcødé 🎉", strings.Repeat("x", 300)}
	now := time.Unix(1767225600, 999_000_000)
	for i, s := range hostile {
		for _, auth := range [][]string{nil, {}, {s, "user"}} {
			id := s + "." // iss, sub and jti are never empty
			c := &claims{Issuer: id, Subject: id, Audience: s, ID: id, ExpiresAt: now.Add(time.Hour), NotBefore: now.Add(-time.Minute),
				IssuedAt: now, Auth: auth, Scope: s, CNonce: s, Ext: map[string]string{s: s, "z": "1", "a": s}}
			if i%2 == 0 {
				c.Ext = nil
			} else {
				c.AMR, c.AuthTime = []string{s, "pwd"}, now.Add(-time.Hour)
			}
			jc := jwtClaims{
				RegisteredClaims: jwt.RegisteredClaims{Issuer: c.Issuer, Subject: c.Subject, Audience: jwt.ClaimStrings{c.Audience},
					ExpiresAt: jwt.NewNumericDate(c.ExpiresAt), NotBefore: jwt.NewNumericDate(c.NotBefore), IssuedAt: jwt.NewNumericDate(c.IssuedAt), ID: c.ID},
				Auth: c.Auth, Scope: c.Scope, CNonce: c.CNonce, Ext: c.Ext, AMR: c.AMR,
			}
			if !c.AuthTime.IsZero() {
				jc.AuthTime = c.AuthTime.Unix()
			}
			want, err := json.Marshal(jc)
			require.NoError(t, err)
			require.Equal(t, string(want), string(appendClaims(nil, c)), "strings %q, auth %v", s, auth)
		}
	}
}

func testSigner(t testing.TB) *signer {
	t.Helper()
	c := defaultConfig()
	s, err := newSigner([]byte("0123456789abcdef0123456789abcdef"), &c)
	require.NoError(t, err)
	return s
}

// TestReadClaimsHostile: payloads (after a valid signature) that must be
// refused, and controls that must pass.
func TestReadClaimsHostile(t *testing.T) {
	s := testSigner(t)
	now := time.Unix(1767225600, 0)
	jti := strings.Repeat("A", 43)
	good := `"iss":"apicrud","sub":"u-1","aud":["apicrud"],"exp":1767229200,"nbf":1767225000,"iat":1767225600,"jti":"` + jti + `"`
	for _, tc := range []struct {
		name, payload string
		ok            bool
	}{
		{"control", `{` + good + `}`, true},
		{"control: whitespace, aud as a string, extra claims", " {\n" + strings.Replace(good, `["apicrud"]`, `"apicrud"`, 1) +
			`, "auth":null,"ext":{"a":[1,2.5e3,{"b":true}],"c":false},"x":-0.5E-2 } `, true},
		{"control: escaped issuer", `{` + strings.Replace(good, `"apicrud","sub"`, `"api\u0063rud","sub"`, 1) + `}`, true},
		{"control: exp as a float", `{` + strings.Replace(good, "1767229200", "1767229200.5", 1) + `}`, true},
		{"control: scope", `{` + good + `,"scope":"a b"}`, true},
		{"empty", ``, false},
		{"not an object", `[]`, false},
		{"trailing data", `{` + good + `}x`, false},
		{"two objects", `{` + good + `}{}`, false},
		{"unterminated", `{` + good, false},
		{"trailing comma", `{` + good + `,}`, false},
		{"duplicate exp", `{` + good + `,"exp":1767229200}`, false},
		{"duplicate sub", `{` + good + `,"sub":"u-2"}`, false},
		{"missing exp", `{` + strings.Replace(good, `"exp":1767229200,`, ``, 1) + `}`, false},
		{"exp a string", `{` + strings.Replace(good, `1767229200`, `"1767229200"`, 1) + `}`, false},
		{"exp null", `{` + strings.Replace(good, `1767229200`, `null`, 1) + `}`, false},
		{"exp huge", `{` + strings.Replace(good, `1767229200`, `1e300`, 1) + `}`, false},
		{"exp leading zero", `{` + strings.Replace(good, `1767229200`, `01767229200`, 1) + `}`, false},
		{"exp expired", `{` + strings.Replace(good, `1767229200`, `1767225500`, 1) + `}`, false},
		{"nbf in the future", `{` + strings.Replace(good, `1767225000`, `1767229000`, 1) + `}`, false},
		{"iat in the future", `{` + strings.Replace(good, `"iat":1767225600`, `"iat":1767229000`, 1) + `}`, false},
		{"nbf a bool", `{` + strings.Replace(good, `1767225000`, `true`, 1) + `}`, false},
		{"wrong issuer", `{` + strings.Replace(good, `"iss":"apicrud"`, `"iss":"evil"`, 1) + `}`, false},
		{"issuer not a string", `{` + strings.Replace(good, `"iss":"apicrud"`, `"iss":1`, 1) + `}`, false},
		{"missing issuer", `{` + strings.Replace(good, `"iss":"apicrud",`, ``, 1) + `}`, false},
		{"wrong audience", `{` + strings.Replace(good, `["apicrud"]`, `["other"]`, 1) + `}`, false},
		{"audience of numbers", `{` + strings.Replace(good, `["apicrud"]`, `["apicrud",1]`, 1) + `}`, false},
		{"missing audience", `{` + strings.Replace(good, `"aud":["apicrud"],`, ``, 1) + `}`, false},
		{"sub with braces", `{` + strings.Replace(good, `"u-1"`, `"{u-1}"`, 1) + `}`, false},
		{"sub a number", `{` + strings.Replace(good, `"u-1"`, `1`, 1) + `}`, false},
		{"short jti", `{` + strings.Replace(good, jti, "abc", 1) + `}`, false},
		{"jti not base64url", `{` + strings.Replace(good, jti, strings.Repeat("+", 43), 1) + `}`, false},
		{"raw control character in a string", `{` + good + `,"x":"a` + "\x01" + `"}`, false},
		{"bad escape", `{` + good + `,"x":"\q"}`, false},
		{"unterminated escape", `{` + good + `,"x":"\`, false},
		{"too deep", `{` + good + `,"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, false},
		{"bad literal", `{` + good + `,"x":tru}`, false},
		{"key not a string", `{` + good + `,1:2}`, false},
		{"missing colon", `{` + good + `,"x" 2}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.readClaims(tc.payload, now)
			if tc.ok {
				require.NoError(t, err)
				require.Equal(t, "u-1", c.Subject)
				require.Equal(t, jti, c.ID)
				return
			}
			require.Error(t, err)
		})
	}
}

// FuzzReadClaims: no payload panics, and what is accepted is valid JSON
// whose sub, jti and scope encoding/json reads alike.
func FuzzReadClaims(f *testing.F) {
	s := testSigner(f)
	now := time.Unix(1767225600, 0)
	tok, err := s.signToken(&claims{Issuer: defaultIssuer, Subject: "u-1", Audience: defaultAudience, ID: strings.Repeat("A", 43),
		ExpiresAt: now.Add(time.Hour), NotBefore: now, IssuedAt: now, Auth: []string{"user"}, Scope: "a", Ext: map[string]string{"k": "v"}})
	require.NoError(f, err)
	p, err := b64url.DecodeString(strings.Split(string(tok), ".")[1])
	require.NoError(f, err)
	f.Add(string(p))
	f.Add(`{"exp":1e3,"x":[{"a":"\ud83d\ude00"}]}`)
	f.Fuzz(func(t *testing.T, payload string) {
		c, err := s.readClaims(payload, now)
		if err != nil {
			return
		}
		if !json.Valid([]byte(payload)) {
			t.Fatalf("accepted invalid JSON %q", payload)
		}
		var std struct{ Sub, Jti, Scope string }
		if err := json.Unmarshal([]byte(payload), &std); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", payload, err)
		}
		if std.Sub != c.Subject || std.Jti != c.ID || std.Scope != c.Scope {
			t.Fatalf("%q: read %+v, encoding/json reads %+v", payload, c, std)
		}
	})
}

// TestSignParseRoundTrip: each algorithm's token verifies, and a flipped
// bit anywhere does not.
func TestSignParseRoundTrip(t *testing.T) {
	s := testSigner(t)
	now := time.Now()
	tok, err := s.signToken(&claims{Issuer: defaultIssuer, Subject: "u-1", Audience: defaultAudience, ID: strings.Repeat("A", 42) + "Q",
		ExpiresAt: now.Add(time.Hour), NotBefore: now, IssuedAt: now})
	require.NoError(t, err)
	c, err := s.parseToken(string(tok))
	require.NoError(t, err)
	require.Equal(t, "u-1", c.Subject)
	for i := range len(tok) {
		b := []byte(tok)
		b[i] ^= 1
		if _, err := s.parseToken(string(b)); err == nil {
			t.Fatalf("token with bit flipped at %d verified", i)
		}
	}
}

// TestNewJTI: the id newJTI returns is sessionID of its jti, the form
// Validate derives from a token.
func TestNewJTI(t *testing.T) {
	jti, id := newJTI()
	require.Len(t, jti, b64url.EncodedLen(jtiBytes))
	require.Equal(t, sessionID(jti), id)
	other, _ := newJTI()
	require.NotEqual(t, jti, other)
}
