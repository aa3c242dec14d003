package i18n_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apicrud-go/apicrud/i18n"
)

func Example() {
	catalog, err := i18n.New(i18n.WithMessages("de", map[string]string{
		"http.404": "Nicht gefunden",
	}))
	if err != nil {
		panic(err)
	}
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"title":"Not Found","status":404}`)
	})
	h := catalog.Middleware(nil)(notFound)

	req := httptest.NewRequest(http.MethodGet, "/contact/x-1", nil)
	req.Header.Set("Accept-Language", "de-DE, en;q=0.5")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Header().Get("Content-Language"), rec.Body.String())
	// Output: de {"status":404,"title":"Nicht gefunden"}
}

func ExampleCatalog_Message() {
	catalog, err := i18n.New(i18n.WithMessages("fr", map[string]string{
		"session.confirm": "Confirmez votre compte : {url}",
	}), i18n.WithMessages("en", map[string]string{
		"session.confirm": "Confirm your account: {url}",
	}))
	if err != nil {
		panic(err)
	}
	for _, locale := range []string{"fr-CA", "ja"} {
		text, _ := catalog.Message(locale, "session.confirm", map[string]string{"url": "https://example.com/c"})
		fmt.Println(text)
	}
	// Output:
	// Confirmez votre compte : https://example.com/c
	// Confirm your account: https://example.com/c
}

func ExampleCatalog_Match() {
	catalog, err := i18n.New()
	if err != nil {
		panic(err)
	}
	for _, accept := range []string{"zh-TW", "zh-CN", "zh", "pt-BR", "nl, es;q=0.8", "nl"} {
		fmt.Println(accept, "→", catalog.Match(accept))
	}
	// Output:
	// zh-TW → zh-Hant
	// zh-CN → zh-Hans
	// zh → zh-Hans
	// pt-BR → pt
	// nl, es;q=0.8 → es
	// nl → en
}

func ExampleCatalog_Verify() {
	catalog, err := i18n.New(
		i18n.WithMessages("en", map[string]string{"shop.sold_out": "{item} is sold out."}),
		i18n.WithMessages("de", map[string]string{"shop.sold_out": "{artikel} ist ausverkauft."}),
		i18n.WithMessages("fr", map[string]string{"shop.sold_out": "{item} est épuisé."}),
	)
	if err != nil {
		panic(err)
	}
	// A host's test fails until every language has its messages.
	fmt.Println(catalog.Verify())
	// Output:
	// i18n: incomplete catalog: 12 faults:
	// ar: shop.sold_out: missing
	// de: shop.sold_out: parameters [{artikel}], English has [{item}]
	// es: shop.sold_out: missing
	// fil: shop.sold_out: missing
	// it: shop.sold_out: missing
	// ja: shop.sold_out: missing
	// ko: shop.sold_out: missing
	// pt: shop.sold_out: missing
	// ru: shop.sold_out: missing
	// vi: shop.sold_out: missing
	// zh-Hans: shop.sold_out: missing
	// zh-Hant: shop.sold_out: missing
}
