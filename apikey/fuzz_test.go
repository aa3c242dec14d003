package apikey_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/apikey"
)

// hostileKeys must all be refused by Parse, and the error must never
// repeat the input.
var hostileKeys = []string{
	"", ".", "..", "abc", "abcdefgh.", ".abcdefghabcdefghabcdefghabcdefghabcdefgh",
	"short.abcdefghabcdefghabcdefghabcdefgh",
	"abcdefgh.tooshortsecret",
	"abcdefgh.abcdefghabcdefghabcdefghabcdefg.extra",
	"abcdefghabcdefghabcdefghabcdefghX.abcdefghabcdefghabcdefghabcdefgh",
	"abcdefgh." + strings.Repeat("a", 129),
	strings.Repeat("a", 300),
	"abcdefgh.abcdefghabcdefghabcdefghabcdefg+/",
	"abcdefgh.abcdefghabcdefghabcdefghabcdefgh=",
	"abcdefgh.abcdefghabcdefghabcdefghabcdefgh ",
	" abcdefgh.abcdefghabcdefghabcdefghabcdefgh",
	"abcdefgh.abcdefghabcdefghabcdefghabcdefgh\n",
	"abcdefgh.abcdefghabcdefghabcdefghabcdefgh\x00",
	"abcdéfgh.abcdefghabcdefghabcdefghabcdefgh",
	"abcdefgh.abcdefghabcdefghabcdefghabcdefgh\xff",
	"' OR 1=1 --.abcdefghabcdefghabcdefghabcdefgh",
	"abcdefgh.abcdefgh'abcdefghabcdefghabcdefgh",
	"Bearer abcdefgh.abcdefghabcdefghabcdefghabcdefgh",
}

func TestHostileKeys(t *testing.T) {
	for _, s := range hostileKeys {
		k, err := apikey.Parse(s)
		require.ErrorIs(t, err, apikey.ErrMalformed, "%q", s)
		require.True(t, k.IsZero())
		if len(s) > 3 {
			require.NotContains(t, err.Error(), s)
		}
	}
}

// FuzzParse: Parse never panics; a key it accepts reveals exactly
// the input and never shows its secret in String.
func FuzzParse(f *testing.F) {
	for _, s := range hostileKeys {
		f.Add(s)
	}
	f.Add("abcdefgh1234.abcdefghabcdefghabcdefghabcdefghabcdefgh123")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := apikey.Parse(s)
		if err != nil {
			if !errors.Is(err, apikey.ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if k.Reveal() != s {
			t.Fatalf("Reveal %q != %q", k.Reveal(), s)
		}
		// String shows the prefix and nothing of the secret (a secret may
		// equal the prefix: comparing texts would flag the public part).
		prefix, _, _ := strings.Cut(s, ".")
		if k.Prefix() != prefix || k.String() != prefix+".[REDACTED]" {
			t.Fatalf("String %q, Prefix %q of %q", k.String(), k.Prefix(), s)
		}
		if k2, err := apikey.Parse(k.Reveal()); err != nil || k2 != k {
			t.Fatalf("round trip: %v", err)
		}
	})
}
