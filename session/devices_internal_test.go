package session

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestDecodeUse(t *testing.T) {
	at := time.UnixMilli(1_764_000_000_123)
	for _, c := range []Client{
		{},
		{IP: netip.MustParseAddr("192.0.2.1")},
		{IP: netip.MustParseAddr("2001:db8::1"), UserAgent: "curl/8.14"},
		{UserAgent: "Ünïcødé ✓"},
	} {
		gotAt, got, err := decodeUse(encodeUse(at, c))
		require.NoError(t, err)
		require.Equal(t, at, gotAt)
		require.Equal(t, c, got)
	}
	// Hostile payloads (they would have to get past the seal first).
	valid := encodeUse(at, Client{IP: netip.MustParseAddr("192.0.2.1"), UserAgent: "x"})
	for i, p := range [][]byte{
		nil, {}, {useVersion}, {2, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		valid[:9],                             // no address length
		append(valid[:9:9], 5, 1, 2, 3, 4, 5), // an address of 5 bytes
		append(valid[:9:9], 16, 1, 2, 3),      // an address past the end
		append(valid[:9:9], 0xff),             // a length of 255
		append([]byte{0}, valid[1:]...),       // version 0
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			_, _, err := decodeUse(p)
			require.ErrorIs(t, err, errBadUse)
		})
	}
	// A user agent that is not clean is cleaned.
	_, c, err := decodeUse(append(valid[:14:14], "a\x00\u202eb\xff"...))
	require.NoError(t, err)
	require.Equal(t, "ab", c.UserAgent)
}

// FuzzDecodeUse: no payload panics; what decodes has a valid address or
// none, and a clean user agent.
func FuzzDecodeUse(f *testing.F) {
	f.Add(encodeUse(time.UnixMilli(1), Client{IP: netip.MustParseAddr("2001:db8::1"), UserAgent: "curl/8.14"}))
	f.Add([]byte{useVersion, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3})
	f.Fuzz(func(t *testing.T, p []byte) {
		_, c, err := decodeUse(p)
		if err != nil {
			return
		}
		if n := p[9]; (n == 0) == c.IP.IsValid() {
			t.Fatalf("address length %d gave %v", n, c.IP)
		}
		if !utf8.ValidString(c.UserAgent) || len(c.UserAgent) > MaxUserAgent || CleanUserAgent(c.UserAgent) != c.UserAgent {
			t.Fatalf("user agent %q not clean", c.UserAgent)
		}
		if c.IP.IsValid() && !bytes.Equal(c.IP.AsSlice(), p[10:10+int(p[9])]) {
			t.Fatalf("address %v from %x", c.IP, p)
		}
	})
}
