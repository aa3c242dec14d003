package idempotency_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/apicrud-go/apicrud/idempotency"
)

// A retried POST with the same Idempotency-Key gets the first answer; the
// handler runs once.
func Example() {
	keeper, err := idempotency.New()
	if err != nil {
		panic(err)
	}
	created := 0
	h := keeper.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		created++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%d}`, created)
	}))
	for range 2 {
		r := httptest.NewRequest(http.MethodPost, "/contact", strings.NewReader(`{"name":"Ann"}`))
		r.Header.Set("Idempotency-Key", `"8e03978e-40d5-43e8-bc93-6894a57f9324"`)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String(), "replayed:", w.Header().Get("Idempotent-Replayed") == "true")
	}
	// Output:
	// 201 {"id":1} replayed: false
	// 201 {"id":1} replayed: true
}
