package policytest_test

import (
	"context"
	"fmt"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/accesscontrol/policytest"
)

func Example() {
	policy, err := ac.LoadBytes([]byte(`
fields: {invoice: {amount: float}}
policies:
  invoice:
    - {principal: auditor, resource: "{resource}:*", actions: lr, when: "amount < 10000"}
`), "rbac.yaml")
	if err != nil {
		panic(err)
	}
	suite, err := policytest.Parse([]byte(`
principals:
  auditor: {uid: u-3, roles: [auditor]}
records:
  small: {resource: invoice, id: i-1, fields: {amount: 9999.99}}
  large: {resource: invoice, id: i-2, fields: {amount: 10000}}
cases:
  - {name: small invoices, principal: auditor, record: small, actions: lr}
  - {name: large invoices, principal: auditor, record: large, allow: l}
lists:
  - {principal: auditor, resource: invoice, action: l, records: [small, large], expect: [small]}
`), "rbac_test.yaml")
	if err != nil {
		panic(err)
	}
	report, err := policytest.Run(context.Background(), suite, policy)
	if err != nil {
		panic(err)
	}
	for _, f := range report.Failures {
		fmt.Println(f)
	}
	fmt.Printf("%d passed, %.0f%% of rules exercised\n", report.Passed, 100*report.Coverage())
	// Output:
	// 9: large invoices: denied l, expected allowed (denied: u-3 may not l invoice "i-2": policies.invoice[0]: holds role "auditor", when amount < 10000 is false)
	// 2 passed, 100% of rules exercised
}
