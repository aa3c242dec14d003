package authzen_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/accesscontrol/authzen"
)

func Example() {
	policy, err := ac.LoadBytes([]byte(`
fields: {invoice: {amount: float}}
policies:
  invoice:
    - {principal: auditor, resource: "{resource}:*", actions: r, when: "amount < 10000"}
`), "rbac.yaml")
	if err != nil {
		panic(err)
	}
	h, err := authzen.New(policy)
	if err != nil {
		panic(err)
	}
	body := `{"subject": {"type": "user", "id": "u-3", "properties": {"roles": ["auditor"]}},
	          "action": {"name": "can_read"},
	          "resource": {"type": "invoice", "id": "i-1", "properties": {"amount": 9999.99}}}`
	r := httptest.NewRequest(http.MethodPost, "/access/v1/evaluation", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Print(w.Code, " ", w.Body.String())
	// Output: 200 {"decision":true}
}
