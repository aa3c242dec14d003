package login

import (
	"strings"
	"testing"
	"time"
)

// FuzzOpenBlob feeds arbitrary strings to the parser of signed blobs
// (confirmation and reset links, remember-device cookies): no panic, and
// nothing but a genuinely signed blob is accepted.
func FuzzOpenBlob(f *testing.F) {
	s := &keys{link: []byte(strings.Repeat("k", 32)), device: []byte(strings.Repeat("d", 32))}
	valid, err := s.newLink(purposeReset, "u-1", time.Now().Add(time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	dev, err := signBlob(s.device, "device", device{UID: "u-1", Exp: time.Now().Add(time.Hour).Unix(), Stamp: "x"})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{valid, dev, "", ".", "a.b", valid + "x", strings.Replace(valid, ".", "..", 1), "e30.", "e30." + strings.Split(valid, ".")[1]} {
		f.Add(seed)
	}
	// Accepted blobs must be exactly what signBlob makes of their payload:
	// the MAC admits no other encoding. (Fuzz workers run this function
	// again, so valid blobs differ between processes; the keys do not.)
	f.Fuzz(func(t *testing.T, in string) {
		var l link
		if err := openBlob(s.link, "link", in, &l); err == nil {
			if again, _ := signBlob(s.link, "link", l); again != in {
				t.Fatalf("accepted a non-canonical link %q", in)
			}
		}
		var d device
		if err := openBlob(s.device, "device", in, &d); err == nil {
			if again, _ := signBlob(s.device, "device", d); again != in {
				t.Fatalf("accepted a non-canonical device cookie %q", in)
			}
		}
		_, _ = s.parseLink(in, purposeReset, time.Now())
		_, _ = s.parseLink(in, purposeConfirm, time.Now())
	})
}

// FuzzNormalizeLogin: what users type as a login. Accepted values are
// normalised (idempotent) and hold no characters that could break a store
// key.
func FuzzNormalizeLogin(f *testing.F) {
	for _, s := range []string{"alice", "Alice@Example.com", " bob ", "a@b", "x{y}@z.com", "é@é.fr", "a@@b.c", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := normalizeLogin(in)
		if err != nil {
			return
		}
		again, err := normalizeLogin(out)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, err)
		}
		if strings.ContainsAny(out, "{} \t\r\n") || len(out) > 254 || out != strings.ToLower(out) {
			t.Fatalf("unsafe login %q", out)
		}
	})
}
