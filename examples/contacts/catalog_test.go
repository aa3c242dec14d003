package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/i18n"
)

// problemCode matches the codes the service writes: writeProblem(w, status,
// "code", …), writeProblemField(w, status, "code", …) and Code: "code".
var problemCode = regexp.MustCompile(`(?:writeProblem(?:Field)?\(w, [^,]+, |Code: )"([a-z]+\.[a-z0-9_]+)"`)

// TestCatalogCoversCodes: every problem code the service writes has an
// English message (the library's are built in, the service's in
// locales/en.yaml), so every error detail goes through the catalog; the
// German catalog loads and falls back to English for the rest.
func TestCatalogCoversCodes(t *testing.T) {
	c, err := i18n.New(i18n.WithYAML("locales/en.yaml", englishCatalog), i18n.WithYAML("locales/de.yaml", germanCatalog))
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
	require.Equal(t, []string{"en", "de"}, c.Languages())
	de, ok := c.Message("de", "contacts.bad_level", nil)
	require.True(t, ok)
	require.Contains(t, de, "Mitglied")
	en, ok := c.Message("de", "contacts.bad_scope", nil)
	require.True(t, ok, "a message German lacks falls back to English")
	require.Contains(t, en, "scope")
}
