package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func tokenPost(target, contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

// TestParseTokenRequestRefusesHostileInput: only a single-valued form in
// the body, with a well-formed scope, is read.
func TestParseTokenRequestRefusesHostileInput(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, target, ct, body, code string
	}{
		{"no content type", "/t", "", "grant_type=password", errInvalidRequest},
		{"json", "/t", "application/json", `{"grant_type":"password"}`, errInvalidRequest},
		{"multipart", "/t", "multipart/form-data; boundary=x", "grant_type=password", errInvalidRequest},
		{"bad media type", "/t", "application/x-www-form-urlencoded; =", "grant_type=password", errInvalidRequest},
		{"query parameters", "/t?password=x", form, "grant_type=password", errInvalidRequest},
		{"repeated", "/t", form, "grant_type=password&grant_type=password", errInvalidRequest},
		{"bad escape", "/t", form, "grant_type=%g0", errInvalidRequest},
		{"semicolon", "/t", form, "grant_type=password;x=y", errInvalidRequest},
		{"too large", "/t", form, "grant_type=password&x=" + strings.Repeat("a", maxTokenForm), errInvalidRequest},
		{"no grant type", "/t", form, "username=a", errInvalidRequest},
		{"empty grant type", "/t", form, "grant_type=", errInvalidRequest},
		{"scope with double space", "/t", form, "grant_type=password&scope=a%20%20b", errInvalidScope},
		{"scope with leading space", "/t", form, "grant_type=password&scope=%20a", errInvalidScope},
		{"scope with quote", "/t", form, "grant_type=password&scope=a%22", errInvalidScope},
		{"scope with backslash", "/t", form, "grant_type=password&scope=a%5C", errInvalidScope},
		{"scope with newline", "/t", form, "grant_type=password&scope=a%0Ab", errInvalidScope},
		{"scope with NUL", "/t", form, "grant_type=password&scope=a%00", errInvalidScope},
		{"scope not ASCII", "/t", form, "grant_type=password&scope=%C3%A9", errInvalidScope},
		{"scope too long", "/t", form, "grant_type=password&scope=" + strings.Repeat("a", 200), errInvalidScope},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, terr := parseTokenRequest(httptest.NewRecorder(), tokenPost(tc.target, tc.ct, tc.body))
			require.Nil(t, req)
			require.NotNil(t, terr)
			require.Equal(t, tc.code, terr.Error)
		})
	}
	req, terr := parseTokenRequest(httptest.NewRecorder(), tokenPost("/t", "application/x-www-form-urlencoded; charset=UTF-8", "grant_type=password&username=a&password=b&scope=full%20readonly"))
	require.Nil(t, terr)
	require.Equal(t, "password", req.grantType)
	require.Equal(t, []string{"full", "readonly"}, req.scopes)
}

// FuzzParseTokenRequest: no panic; an accepted request has a grant type,
// single-valued parameters and scope names without spaces or quotes.
func FuzzParseTokenRequest(f *testing.F) {
	for _, seed := range []string{"grant_type=password&username=a&password=b", "grant_type=refresh_token&refresh_token=x&scope=a%20b", "", "&&", "scope=%20", "grant_type=a&grant_type=b", "a=%zz"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, terr := parseTokenRequest(httptest.NewRecorder(), tokenPost("/t", "application/x-www-form-urlencoded", body))
		if terr != nil {
			if req != nil || terr.Error == "" {
				t.Fatalf("refusal of %q: %+v %+v", body, req, terr)
			}
			return
		}
		if req.grantType == "" {
			t.Fatalf("accepted %q without a grant type", body)
		}
		for k, v := range req.form {
			if len(v) != 1 {
				t.Fatalf("accepted %q with %s repeated", body, k)
			}
		}
		for _, s := range req.scopes {
			if s == "" || strings.ContainsAny(s, " \"\\\t\n") {
				t.Fatalf("accepted scope %q from %q", s, body)
			}
		}
	})
}
