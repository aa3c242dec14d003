package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/i18n"
	"github.com/apicrud-go/apicrud/problem"
)

// problemCode matches the codes the service writes: writeProblem(w, status,
// "code", …), writeProblemField(w, status, "code", …) and Code: "code".
var problemCode = regexp.MustCompile(`(?:writeProblem(?:Field)?\(w, [^,]+, |Code: )"([a-z]+\.[a-z0-9_]+)"`)

// languages are the service's languages: the library's built-in ones, each
// with a file in locales/ for the service's own codes.
var languages = []string{"en", "ar", "de", "es", "fil", "fr", "it", "ja", "ko", "pt", "ru", "vi", "zh-Hans", "zh-Hant"}

// TestCatalogCoversCodes: every problem code the service writes has an
// English message (the library's are built in, the service's in
// locales/en.yaml), so every error detail goes through the catalog.
func TestCatalogCoversCodes(t *testing.T) {
	c, err := i18n.New(i18n.WithFS(localeFiles, "locales/*.yaml"))
	require.NoError(t, err)
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range problemCode.FindAllStringSubmatch(string(src), -1) {
			seen++
			if strings.HasPrefix(m[1], "http.") {
				continue // titles
			}
			_, ok := c.Message("en", m[1], nil)
			require.True(t, ok, "%s: code %s has no English message", f, m[1])
		}
	}
	require.Greater(t, seen, 20, "the pattern no longer finds the service's codes")
}

// TestCatalogComplete fails on any message of the service or the library
// that one of its languages lacks, and on any translation that does not
// keep exactly the English text's {parameters}.
func TestCatalogComplete(t *testing.T) {
	c, err := i18n.New(i18n.WithFS(localeFiles, "locales/*.yaml"))
	require.NoError(t, err)
	require.Equal(t, languages, c.Languages())
	require.NoError(t, c.Verify())
	for _, tt := range []struct{ locale, want string }{
		{"de", "Die Stufe eines Mitglieds ist invitee, member oder manager."},
		{"zh-TW", "成員等級只能是 invitee、member 或 manager。"},
		{"zh-CN", "成员级别只能是 invitee、member 或 manager。"},
	} {
		got, ok := c.Message(tt.locale, "contacts.bad_level", nil)
		require.True(t, ok)
		require.Equal(t, tt.want, got)
	}
}

// TestProblemsLocalized: a problem the service writes reaches a Spanish
// client in Spanish, with its field filled in.
func TestProblemsLocalized(t *testing.T) {
	c, err := i18n.New(i18n.WithFS(localeFiles, "locales/*.yaml"))
	require.NoError(t, err)
	h := c.Middleware(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblemField(w, http.StatusConflict, "contacts.conflict", "name", "name is taken")
	}))
	req := httptest.NewRequest(http.MethodPost, "/contact", nil)
	req.Header.Set("Accept-Language", "es-MX,es;q=0.9,en;q=0.5")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, problem.ContentType, rec.Header().Get("Content-Type"))
	require.Equal(t, "es", rec.Header().Get("Content-Language"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	require.Equal(t, "Conflicto", body["title"])
	require.Equal(t, "El valor de name ya está en uso.", body["detail"])
}
