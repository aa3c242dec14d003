package i18n

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/problem"
)

// builtinLanguages are the languages New offers without options: the
// original's fifteen catalogues, whose zh and zh_Hans were both Simplified
// Chinese (plain zh is matched to zh-Hans).
var builtinLanguages = []string{"en", "ar", "de", "es", "fil", "fr", "it", "ja", "ko", "pt", "ru", "vi", "zh-Hans", "zh-Hant"}

// TestBuiltinCatalogComplete fails on any English message a built-in
// language lacks, on any id it has that English does not, and on any
// translation that does not keep exactly the English text's parameters.
func TestBuiltinCatalogComplete(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	require.Equal(t, builtinLanguages, c.Languages())
	require.NoError(t, c.Verify())
	// A file copied from English instead of translated would pass Verify.
	for i := 1; i < len(c.tags); i++ {
		var same []string
		for _, id := range c.IDs() {
			if c.messages[i][id] == c.messages[0][id] {
				same = append(same, id)
			}
		}
		require.LessOrEqual(t, len(same), 1, "%s: texts identical to English: %v", c.tags[i], same)
	}
}

// TestVerifyFindsFaults shows that Verify fails on each kind of fault.
func TestVerifyFindsFaults(t *testing.T) {
	c, err := New(
		WithFile("testdata/plural_en.yaml"),
		WithMessages("de", map[string]string{"test.members": "Die Liste hat {count} Mitglieder."}), // needs plural forms
		WithMessages("fr", map[string]string{
			"crud.required":  "Le champ {champ} est obligatoire.",  // renamed parameter
			"crud.read_only": "Ce champ ne peut pas être modifié.", // lost parameter
			"crud.not_found": "Introuvable.",
			"test.unknown":   "Inconnu.", // not in English
		}),
		WithYAML("ru-partial", []byte("language: ru\nplurals:\n  test.members:\n    count: count\n    one: \"{count} участник\"\n    other: \"{count} участника\"\n")),
		WithYAML("ja-count", []byte("language: ja\nplurals:\n  test.members:\n    count: total\n    other: \"{count} 人\"\n")),
		WithMessages("nl", map[string]string{"http.404": "Niet gevonden"}),
	)
	require.NoError(t, err)
	err = c.Verify()
	require.ErrorIs(t, err, ErrIncomplete)
	for _, want := range []string{
		"de: test.members: needs the plural forms other, one",
		"fr: crud.required: parameters [{champ}], English has [{field}]",
		"fr: crud.read_only: parameters [], English has [{field}]",
		"fr: test.unknown: not an English message",
		"ru: test.members: lacks the plural forms few, many",
		`ja: test.members: plural count "total" is not a parameter of the English text`,
		"nl: http.400: missing",
		"nl: crud.internal: missing",
	} {
		require.Contains(t, err.Error(), want)
	}
	require.NotContains(t, err.Error(), "fr: crud.not_found", "a translation may differ in everything but its parameters")
	require.NotContains(t, err.Error(), "nl: http.404")
}

func TestMatchLanguages(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	tests := []struct{ accept, want string }{
		{"zh-TW", "zh-Hant"},
		{"zh-HK", "zh-Hant"},
		{"zh-MO", "zh-Hant"},
		{"zh-Hant", "zh-Hant"},
		{"zh-Hant-CN", "zh-Hant"},
		{"zh_Hant", "zh-Hant"}, // the original's catalogue names, as a stored account setting
		{"zh-CN", "zh-Hans"},
		{"zh-SG", "zh-Hans"},
		{"zh", "zh-Hans"},
		{"zh-Hans", "zh-Hans"},
		{"zh_Hans", "zh-Hans"},
		{"zh-Hans-HK", "zh-Hans"},
		{"zh-TW,zh;q=0.9,en;q=0.5", "zh-Hant"},
		{"zh-CN,zh-TW;q=0.5", "zh-Hans"},
		{"es-MX", "es"},
		{"es-419,es;q=0.9", "es"},
		{"pt-BR", "pt"},
		{"pt-PT", "pt"},
		{"fr-CA", "fr"},
		{"de-CH", "de"},
		{"ar-EG", "ar"},
		{"ar-SA,en;q=0.1", "ar"},
		{"fil-PH", "fil"},
		{"tl", "fil"}, // Tagalog's code is an alias of Filipino
		{"ja-JP", "ja"},
		{"ko-KR", "ko"},
		{"vi-VN", "vi"},
		{"ru-UA", "ru"},
		{"it-CH", "it"},
		{"en-GB", "en"},
		{"nl, de;q=0.5", "de"},
		{"nl", "en"},
		{"*", "en"},
		{"", "en"},
		{"not a language tag", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			require.Equal(t, tt.want, c.Match(tt.accept))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Accept-Language", tt.accept)
			require.Equal(t, tt.want, c.Locale(req, nil))
		})
	}
}

func TestPluralForms(t *testing.T) {
	c, err := New(WithFile("testdata/plural_en.yaml"), WithFile("testdata/plural_ru.yaml"))
	require.NoError(t, err)
	tests := []struct{ locale, count, want string }{
		{"en", "1", "The list has 1 member."},
		{"en", "0", "The list has 0 members."},
		{"en", "2", "The list has 2 members."},
		{"en", "1.0", "The list has 1.0 members."}, // visible decimals are plural in English
		{"en", "many", "The list has many members."},
		{"ru", "1", "В списке 1 участник."},
		{"ru", "21", "В списке 21 участник."},
		{"ru", "2", "В списке 2 участника."},
		{"ru", "34", "В списке 34 участника."},
		{"ru", "5", "В списке 5 участников."},
		{"ru", "11", "В списке 11 участников."},
		{"ru", "112", "В списке 112 участников."},
		{"ru", "1.5", "В списке 1.5 участника."},
		{"ru", "-1", "В списке -1 участник."},
		{"ru", "", "В списке  участника."},
		{"de", "1", "The list has 1 member."}, // German lacks it: English text, English rules
		{"de", "3", "The list has 3 members."},
	}
	for _, tt := range tests {
		t.Run(tt.locale+"/"+tt.count, func(t *testing.T) {
			got, ok := c.Message(tt.locale, "test.members", map[string]string{"count": tt.count})
			require.True(t, ok)
			require.Equal(t, tt.want, got)
		})
	}
	got, _ := c.Message("ru", "test.members", nil)
	require.Equal(t, "В списке {count} участника.", got, "no count: the other form")

	// Through the middleware the count comes from a problem member.
	h := c.Middleware(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", problem.ContentType)
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"title":"Conflict","status":409,"code":"test.members","count":22}`))
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept-Language", "ru-RU")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	require.Equal(t, "В списке 22 участника.", body["detail"])
	require.Equal(t, "Конфликт", body["title"])
}

// TestSpanishAccessDenied: a 403 answered in Spanish says "acceso
// denegado", as the original's did.
func TestSpanishAccessDenied(t *testing.T) {
	c, err := New()
	require.NoError(t, err)
	h := c.Middleware(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, problem.Problem{Status: http.StatusForbidden, Detail: "access denied", Code: "crud.forbidden"})
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept-Language", "es-ES,es;q=0.9")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Equal(t, "es", rec.Header().Get("Content-Language"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	require.Equal(t, "Acceso denegado", body["title"])
	require.Equal(t, "No tiene permiso para realizar esta operación sobre este registro.", body["detail"])
}

func TestWithFS(t *testing.T) {
	fsys := fstest.MapFS{
		"locales/en.yaml": {Data: []byte("language: en\nmessages:\n  shop.sold_out: \"{item} is sold out.\"\n")},
		"locales/de.yaml": {Data: []byte("language: de\nmessages:\n  shop.sold_out: \"{item} ist ausverkauft.\"\n")},
		"locales/notes":   {Data: []byte("not a catalog")},
	}
	c, err := New(WithFS(fsys, "locales/*.yaml"))
	require.NoError(t, err)
	got, ok := c.Message("de-AT", "shop.sold_out", map[string]string{"item": "Tee"})
	require.True(t, ok)
	require.Equal(t, "Tee ist ausverkauft.", got)

	_, err = New(WithFS(fsys, "missing/*.yaml"))
	require.ErrorIs(t, err, ErrCatalog)
	require.ErrorContains(t, err, "missing/*.yaml matches no file")
	_, err = New(WithFS(fsys, "locales/[.yaml"))
	require.ErrorIs(t, err, ErrCatalog)
	require.ErrorContains(t, err, "locales/[.yaml")
	_, err = New(WithFS(fstest.MapFS{"x.yaml": {Data: []byte("language: de\nmessages:\n  a: \"{\"\n")}}, "*.yaml"))
	require.ErrorIs(t, err, ErrCatalog)
	require.ErrorContains(t, err, "x.yaml")
}

// Characters whose Simplified and Traditional forms differ, as pairs
// (Simplified, Traditional): a zh-Hans text holds none of the second, a
// zh-Hant text none of the first.
const hanPairs = "请請过過无無误誤账帳户戶记記录錄冲衝时時间間码碼证證验驗会會话話务務设設页頁发發数數据據称稱该該类類链鏈连連钥鑰达達许許权權处處应應为為这這个個来來对對与與经經态態选選须須长長库庫启啟单單问問题題开開关關册冊从從让讓认認测測资資历歷试試标標识識义義围圍范範员員级級状狀条條传傳还還确確网網络絡码碼读讀写寫删刪除除动動"

// TestChineseScripts: the Simplified files hold no Traditional-only
// characters and the Traditional files no Simplified-only ones, in the
// built-in catalog and in the example's.
func TestChineseScripts(t *testing.T) {
	pairs := []rune(hanPairs)
	require.Zero(t, len(pairs)%2)
	simplified, traditional := map[rune]bool{}, map[rune]bool{}
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i] != pairs[i+1] {
			simplified[pairs[i]], traditional[pairs[i+1]] = true, true
		}
	}
	for _, dir := range []string{"locales", "../examples/contacts/locales"} {
		for lang, wrong := range map[string]map[rune]bool{"zh-Hans": traditional, "zh-Hant": simplified} {
			name := filepath.Join(dir, lang+".yaml")
			data, err := os.ReadFile(name)
			require.NoError(t, err)
			for i, line := range strings.Split(string(data), "\n") {
				for _, r := range line {
					if wrong[r] {
						t.Errorf("%s:%d: %q is not a %s character: %s", name, i+1, r, lang, line)
					}
				}
			}
		}
	}
}

// TestFrenchTypography: French texts use the typographic apostrophe and a
// no-break space before : ; ? ! (so that a line never starts with one).
func TestFrenchTypography(t *testing.T) {
	for _, name := range []string{"locales/fr.yaml", "../examples/contacts/locales/fr.yaml"} {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		for i, line := range strings.Split(string(data), "\n") {
			_, text, ok := strings.Cut(line, ": ")
			if strings.HasPrefix(line, "#") || !ok {
				continue
			}
			bad := strings.Contains(text, "'")
			for _, p := range []string{" :", " ;", " ?", " !"} {
				bad = bad || strings.Contains(text, p)
			}
			if bad {
				t.Errorf("%s:%d: use ’ and a no-break space before : ; ? !: %s", name, i+1, line)
			}
		}
	}
}
