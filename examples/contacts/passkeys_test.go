package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The relying party comes from public_url; its origins are those of
// public_url and trusted_origins on its host; an address is no relying
// party.
func TestRelyingParty(t *testing.T) {
	for _, c := range []struct {
		public  string
		origins []string
		id      string
		want    []string
	}{
		{"https://contacts.example.com/app", []string{"https://contacts.example.com", "https://evil.example", "https://a.contacts.example.com", "https://xcontacts.example.com"},
			"contacts.example.com", []string{"https://contacts.example.com", "https://a.contacts.example.com"}},
		{"http://localhost:8080", []string{"http://localhost:8080", "http://localhost:5173"}, "localhost", []string{"http://localhost:8080", "http://localhost:5173"}},
		{"http://127.0.0.1:8080", []string{"http://127.0.0.1:8080"}, "", nil},
		{"http://[::1]:8080", []string{"http://[::1]:8080"}, "", nil},
		{"https://example.com", []string{"https://other.example"}, "", nil},
	} {
		rp, ok := relyingParty(c.public, "contacts", c.origins)
		require.Equal(t, c.id != "", ok, c.public)
		if ok {
			require.Equal(t, c.id, rp.ID)
			require.Equal(t, c.want, rp.Origins)
		}
	}
}
