package session

import (
	"strings"
	"testing"
)

// FuzzParseRefresh feeds arbitrary strings to the refresh-token parser:
// no panic, every refusal is ErrInvalidGrant, and an accepted token is
// exactly the canonical spelling of its parts.
func FuzzParseRefresh(f *testing.F) {
	secret, _ := newRefreshSecret()
	_, id := newJTI()
	valid := b64url.EncodeToString([]byte("u-1")) + "." + id + "." + secret
	for _, seed := range []string{valid, "", "..", valid + ".", strings.Replace(valid, ".", "..", 1), "dS0x.." + secret, valid[:len(valid)-1] + "B"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		uid, sid, sec, err := parseRefresh(in)
		if err != nil {
			if uid != "" || sid != "" || sec != "" {
				t.Fatalf("refused %q but returned parts", in)
			}
			return
		}
		if again := b64url.EncodeToString([]byte(uid)) + "." + sid + "." + sec; again != in {
			t.Fatalf("accepted a non-canonical refresh token %q", in)
		}
		if validUID(uid) != nil || len(sid) != jtiLen || len(sec) != refreshSecretLen {
			t.Fatalf("accepted malformed parts of %q", in)
		}
	})
}

// FuzzIntersect checks that a token's scope claim never yields a scope
// the session does not hold, nor an empty or repeated one.
func FuzzIntersect(f *testing.F) {
	for _, seed := range []string{"", "a", "a b", "a  b", " a", "a\tb", "b a a", strings.Repeat("a ", 100)} {
		f.Add(seed)
	}
	held := []string{"a", "b", "c.read"}
	f.Fuzz(func(t *testing.T, claim string) {
		got := intersect(claim, held)
		seen := map[string]bool{}
		for _, s := range got {
			if s == "" || seen[s] || !strings.Contains(" a b c.read ", " "+s+" ") {
				t.Fatalf("intersect(%q) = %q", claim, got)
			}
			seen[s] = true
		}
	})
}
