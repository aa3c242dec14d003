package session_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

// TestCrossOriginCookieRequests: a page on another site can make the
// browser send the session cookie with a form post (SameSite=Lax does not
// stop a same-site attacker, nor top-level POSTs in old browsers); such
// unsafe cookie-authenticated requests are refused with 403 before the
// handler runs. Same-origin requests, trusted origins, safe methods and
// Bearer tokens are not affected.
func TestCrossOriginCookieRequests(t *testing.T) {
	e, h := newHandler(t, session.WithTrustedOrigins("https://app.example"))
	s, tok, err := e.m.Create(t.Context(), "u-1", []string{"user"}, session.Extra{Method: "password"})
	require.NoError(t, err)
	ck := httptest.NewRecorder()
	e.m.SetCookie(ck, s, tok)
	cookie := ck.Result().Cookies()[0]

	formPost := func(method string, hdr ...string) *http.Request {
		r := httptest.NewRequest(method, "https://api.example/auth/totp", strings.NewReader("x=1"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return r
	}
	for _, tc := range []struct {
		name   string
		method string
		cookie bool
		hdr    []string
		status int
		body   string
	}{
		{"cross-site form post with the cookie (Sec-Fetch-Site)", "POST", true, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 403, ""},
		{"cross-site form post with the cookie (Origin only)", "POST", true, []string{"Origin", "https://evil.example"}, 403, ""},
		{"same-site but cross-origin PUT with the cookie", "PUT", true, []string{"Sec-Fetch-Site", "same-site", "Origin", "https://evil.api.example"}, 403, ""},
		{"cross-site DELETE with the cookie", "DELETE", true, []string{"Sec-Fetch-Site", "cross-site"}, 403, ""},
		{"same-origin post with the cookie", "POST", true, []string{"Sec-Fetch-Site", "same-origin", "Origin", "https://api.example"}, 200, "uid=u-1"},
		{"same-origin post, Origin only", "POST", true, []string{"Origin", "https://api.example"}, 200, "uid=u-1"},
		{"trusted origin with the cookie", "POST", true, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://app.example"}, 200, "uid=u-1"},
		{"non-browser client with the cookie (no Origin, no Sec-Fetch-Site)", "POST", true, nil, 200, "uid=u-1"},
		{"cross-site GET with the cookie", "GET", true, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 200, "uid=u-1"},
		{"cross-site post with a Bearer token", "POST", false, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example", "Authorization", "Bearer " + string(tok)}, 200, "uid=u-1"},
		{"cross-site post without credentials", "POST", false, []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 200, "anonymous"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := formPost(tc.method, tc.hdr...)
			if tc.cookie {
				r.AddCookie(cookie)
			}
			w := serve(h, r)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.status == 403 {
				require.Contains(t, w.Body.String(), `"code":"session.cross_origin"`)
				require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
				return
			}
			require.True(t, strings.HasPrefix(w.Body.String(), tc.body), w.Body.String())
		})
	}
	// The session is untouched by the refused requests.
	_, err = e.m.Validate(t.Context(), string(tok))
	require.NoError(t, err)
}

func TestWithTrustedOriginsRejectsBadOrigins(t *testing.T) {
	for _, o := range []string{"", "evil.example", "https://evil.example/path", "https://evil.example?x", "ftp:// x"} {
		_, err := session.New(newSealer(t), testSecret, session.WithTrustedOrigins(o))
		require.ErrorIs(t, err, session.ErrOption, o)
	}
}
