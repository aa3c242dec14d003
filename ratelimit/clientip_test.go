package ratelimit

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var testProxies = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("fd00::/8"),
}

func TestClientIP(t *testing.T) {
	cases := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"peer only", "192.0.2.1:1234", nil, "192.0.2.1"},
		{"peer without port", "192.0.2.1", nil, "192.0.2.1"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"mapped peer", "[::ffff:192.0.2.1]:443", nil, "192.0.2.1"},
		{"zoned peer", "[fe80::1%eth0]:443", nil, "fe80::1"},
		{"untrusted peer's XFF is ignored", "192.0.2.1:1", []string{"198.51.100.7"}, "192.0.2.1"},
		{"trusted peer, one hop", "10.0.0.1:1", []string{"198.51.100.7"}, "198.51.100.7"},
		{"spoofed left part ignored", "10.0.0.1:1", []string{"1.1.1.1, 198.51.100.7"}, "198.51.100.7"},
		{"two proxies", "10.0.0.1:1", []string{"1.1.1.1, 198.51.100.7, 10.0.0.2"}, "198.51.100.7"},
		{"several fields in order", "10.0.0.1:1", []string{"1.1.1.1", "198.51.100.7", "10.0.0.2"}, "198.51.100.7"},
		{"IPv6 proxy and client", "[fd00::1]:1", []string{"2001:db8::9"}, "2001:db8::9"},
		{"client with port", "10.0.0.1:1", []string{"198.51.100.7:5555"}, "198.51.100.7"},
		{"bracketed IPv6 with port", "10.0.0.1:1", []string{"[2001:db8::9]:80"}, "2001:db8::9"},
		{"all trusted: leftmost", "10.0.0.1:1", []string{"10.9.9.9, 10.0.0.2"}, "10.9.9.9"},
		{"trusted peer, no XFF", "10.0.0.1:1", nil, "10.0.0.1"},
		{"trusted peer, empty XFF", "10.0.0.1:1", []string{""}, "10.0.0.1"},
		{"garbage stops at last trusted", "10.0.0.1:1", []string{"198.51.100.7, garbage, 10.0.0.2"}, "10.0.0.2"},
		{"unknown", "10.0.0.1:1", []string{"unknown"}, "10.0.0.1"},
		{"empty element", "10.0.0.1:1", []string{"198.51.100.7,,"}, "10.0.0.1"},
		{"obfuscated", "10.0.0.1:1", []string{"_hidden"}, "10.0.0.1"},
		{"host name", "10.0.0.1:1", []string{"evil.example"}, "10.0.0.1"},
		{"mapped client", "10.0.0.1:1", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
		{"mapped proxy hop", "10.0.0.1:1", []string{"198.51.100.7, ::ffff:10.0.0.2"}, "198.51.100.7"},
		{"unix socket peer", "@", []string{"198.51.100.7"}, "0.0.0.0"},
		{"empty peer", "", nil, "0.0.0.0"},
		{"spaces", "10.0.0.1:1", []string{"  198.51.100.7  ,\t10.0.0.2 "}, "198.51.100.7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, netip.MustParseAddr(c.want), clientIP(c.remote, c.xff, testProxies))
		})
	}
}

// TestClientIPHostile: huge or odd headers never panic and are handled in
// time proportional to the trusted hops.
func TestClientIPHostile(t *testing.T) {
	long := strings.Repeat("1.1.1.1,", 100_000) + "198.51.100.7"
	require.Equal(t, netip.MustParseAddr("198.51.100.7"), clientIP("10.0.0.1:1", []string{long}, testProxies))
	trustedChain := strings.Repeat("10.0.0.9,", 10_000)
	require.Equal(t, netip.MustParseAddr("10.0.0.1"), clientIP("10.0.0.1:1", []string{trustedChain}, testProxies), "trailing comma: malformed")
	for _, v := range []string{",", ",,,", "\x00", "[", "]:", "[::1", "1.2.3.4:99999", "::ffff:", "1.2.3.4%", strings.Repeat("[", 1000)} {
		got := clientIP("10.0.0.1:1", []string{v}, testProxies)
		require.True(t, got.IsValid(), "%q", v)
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:1", "198.51.100.7, 10.0.0.2")
	f.Add("192.0.2.1:1", "1.1.1.1")
	f.Add("[fd00::1]:1", "[2001:db8::9]:80")
	f.Add("10.0.0.1:1", "garbage,,")
	f.Add("@", "")
	f.Fuzz(func(t *testing.T, remote, xff string) {
		got := clientIP(remote, []string{xff}, testProxies)
		if !got.IsValid() {
			t.Fatalf("clientIP(%q, %q) is invalid", remote, xff)
		}
		if got.Zone() != "" || got.Is4In6() {
			t.Fatalf("clientIP(%q, %q) = %v: not normalised", remote, xff, got)
		}
		peer, ok := parseHop(remote)
		if ok && !trusted(peer, testProxies) && got != peer {
			t.Fatalf("clientIP(%q, %q) = %v: an untrusted peer's header was believed", remote, xff, got)
		}
		if _, err := (Key{IP: got}).storeKey(); err != nil {
			t.Fatal(err)
		}
	})
}
