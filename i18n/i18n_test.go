package i18n

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apicrud-go/apicrud/problem"
	"github.com/stretchr/testify/require"
)

func newCatalog(t *testing.T, opts ...Option) *Catalog {
	t.Helper()
	opts = append([]Option{WithFile("testdata/de.yaml"), WithMessages("en", map[string]string{"test.bad_field": "Bad field: {field}"})}, opts...)
	c, err := New(opts...)
	require.NoError(t, err)
	return c
}

func TestMessageLocales(t *testing.T) {
	c := newCatalog(t)
	tests := []struct {
		locale, id, want string
	}{
		{"de", "http.404", "Nicht gefunden"},
		{"de-AT", "http.404", "Nicht gefunden"},
		{"en", "http.404", "Not Found"},
		{"nl", "http.404", "Not Found"},                // unknown locale: English
		{"", "http.404", "Not Found"},                  // no locale: English
		{"!!", "http.404", "Not Found"},                // unparseable: English
		{"fr", "test.bad_field", "Bad field: x"},       // missing in fr: English text
		{"de", "test.bad_field", "Ungültiges Feld: x"}, // parameter
		{"de", "http.503", "Dienst nicht verfügbar"},   // built in
		{"es", "http.403", "Acceso denegado"},          // built in
		{"nl;q=0.9, de;q=0.8", "http.404", "Nicht gefunden"},
	}
	for _, tt := range tests {
		t.Run(tt.locale+"/"+tt.id, func(t *testing.T) {
			got, ok := c.Message(tt.locale, tt.id, map[string]string{"field": "x"})
			require.True(t, ok)
			require.Equal(t, tt.want, got)
		})
	}
	_, ok := c.Message("de", "no.such.id", nil)
	require.False(t, ok)
	got, _ := c.Message("en", "test.bad_field", map[string]string{"other": "y"})
	require.Equal(t, "Bad field: {field}", got, "a parameter without an argument stays as written")
}

func TestLoadErrors(t *testing.T) {
	for _, name := range []string{"bad_braces.yaml", "bad_language.yaml", "bad_duplicate.yaml", "bad_unknown_key.yaml", "missing.yaml",
		"bad_plural_no_other.yaml", "bad_plural_no_count.yaml", "bad_plural_category.yaml", "bad_plural_twice.yaml", "bad_plural_braces.yaml"} {
		t.Run(name, func(t *testing.T) {
			_, err := New(WithFile(filepath.Join("testdata", name)))
			require.ErrorIs(t, err, ErrCatalog)
			require.Contains(t, err.Error(), name)
		})
	}
	_, err := New(WithMessages("xx-!!", map[string]string{"a": "b"}))
	require.ErrorIs(t, err, ErrCatalog)
	_, err = New(WithMessages("de", map[string]string{"": "b"}))
	require.ErrorIs(t, err, ErrCatalog)
}

func TestMiddlewareLocalizesProblems(t *testing.T) {
	c := newCatalog(t)
	h := c.Middleware(func(r *http.Request) string { return r.Header.Get("X-Account-Locale") })(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/ok" {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"ok":true}`))
				return
			}
			problem.Write(w, problem.Problem{Status: http.StatusBadRequest, Detail: "bad field name", Field: "name", Code: "test.bad_field"})
		}))
	tests := []struct {
		name, accept, account, wantTitle, wantDetail, wantLang string
	}{
		{"english default", "", "", "Bad Request", "Bad field: name", "en"},
		{"accept-language", "de-DE,de;q=0.9", "", "Ungültige Anfrage", "Ungültiges Feld: name", "de"},
		{"account wins over header", "de", "en", "Bad Request", "Bad field: name", "en"},
		{"account setting", "", "de", "Ungültige Anfrage", "Ungültiges Feld: name", "de"},
		{"unknown locale", "nl", "", "Bad Request", "Bad field: name", "en"},
		{"message missing in the language", "ja", "", "不正なリクエスト", "Bad field: name", "ja"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			req.Header.Set("Accept-Language", tt.accept)
			req.Header.Set("X-Account-Locale", tt.account)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, http.StatusBadRequest, rec.Code)
			require.Equal(t, problem.ContentType, rec.Header().Get("Content-Type"))
			require.Equal(t, tt.wantLang, rec.Header().Get("Content-Language"))
			require.JSONEq(t, `{"title":"`+tt.wantTitle+`","status":400,"detail":"`+tt.wantDetail+`","field":"name","code":"test.bad_field"}`, rec.Body.String())
			require.Equal(t, rec.Body.Len(), atoi(t, rec.Header().Get("Content-Length")))
		})
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/ok", nil)
	req.Header.Set("Accept-Language", "de")
	h.ServeHTTP(rec, req)
	require.Equal(t, `{"ok":true}`, rec.Body.String(), "other responses pass through")
	require.Empty(t, rec.Header().Get("Content-Language"))
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		require.True(t, r >= '0' && r <= '9', "Content-Length %q", s)
		n = n*10 + int(r-'0')
	}
	return n
}

// TestEnglishCatalogCoversCodes checks that every stable problem code the
// module's packages write (a `Code: "pkg.id"` literal) has an English
// message, so that every user-facing message goes through the catalog.
func TestEnglishCatalogCoversCodes(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	known := map[string]bool{}
	for _, id := range c.IDs() {
		known[id] = true
	}
	var missing []string
	root := ".."
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// examples have catalogs of their own.
		if d.IsDir() && (d.Name() == "bench" || d.Name() == "examples" || d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, id := range codeLiterals(string(src)) {
			if !known[id] {
				missing = append(missing, path+": "+id)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, missing, "problem codes without an English message in i18n/en.yaml")
}

// codeRE matches the string literals assigned to Code fields
// (Code: "crud.not_found") and to Code constants (CodeNotFound = "…").
var codeRE = regexp.MustCompile(`\bCode(?::|[A-Z][A-Za-z]*\s*=)\s*"([a-z]+\.[a-z0-9_]+)"`)

// codeLiterals finds the problem codes a source file writes.
func codeLiterals(src string) []string {
	var out []string
	for _, m := range codeRE.FindAllStringSubmatch(src, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestIDsStable(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	ids := c.IDs()
	// The English catalog is the list of stable ids; ids may be added, never
	// removed. This list is the floor.
	stable := []string{
		"http.400",
		"http.401",
		"http.403",
		"http.404",
		"http.405",
		"http.409",
		"http.412",
		"http.413",
		"http.415",
		"http.429",
		"http.500",
		"http.503",
		"session.locked",
		"session.unavailable",
		"session.busy",
		"session.invalid_token",
		"session.invalid_credentials",
		"session.invalid_otp",
		"session.not_pending_totp",
		"session.invalid_username",
		"session.invalid_identity",
		"session.username_taken",
		"session.invalid_link",
		"session.totp_enrolled",
		"session.totp_not_enrolled",
		"session.unverified_identity",
		"session.conflict",
		"session.internal",
		"session.password_too_short",
		"session.password_too_long",
		"session.password_common",
		"session.password_similar",
		"session.password_breached",
		"accesscontrol.unauthenticated",
		"accesscontrol.forbidden",
		"ratelimit.exceeded",
		"ratelimit.unavailable",
		"crud.invalid_json",
		"crud.unknown_field",
		"crud.read_only",
		"crud.invalid_value",
		"crud.required",
		"crud.bad_filter",
		"crud.bad_sort",
		"crud.bad_limit",
		"crud.bad_offset",
		"crud.bad_cursor",
		"crud.bad_id",
		"crud.unauthenticated",
		"crud.forbidden",
		"crud.not_found",
		"crud.conflict",
		"crud.precondition_failed",
		"crud.limit_exceeded",
		"crud.too_large",
		"crud.unsupported_media_type",
		"crud.internal",
	}
	for _, id := range stable {
		require.Contains(t, ids, id)
	}
	require.Equal(t, builtinLanguages, newCatalog(t).Languages())
}

func FuzzMessage(f *testing.F) {
	f.Add("de", "test.bad_field", "x")
	f.Add("de-CH;q=0.5,*", "http.404", "{")
	f.Add("ru", "test.members", "21.50")
	c, err := New(WithFile("testdata/de.yaml"), WithFile("testdata/plural_en.yaml"), WithFile("testdata/plural_ru.yaml"))
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, locale, id, arg string) {
		_, _ = c.Message(locale, id, map[string]string{"field": arg, "count": arg})
		_ = c.Match(locale)
	})
}

func BenchmarkMiddleware(b *testing.B) {
	c, err := New(WithFile("testdata/de.yaml"))
	require.NoError(b, err)
	h := c.Middleware(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, problem.Problem{Status: http.StatusNotFound, Code: "http.404"})
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept-Language", "de")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
