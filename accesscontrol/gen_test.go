package accesscontrol_test

import (
	"fmt"
	"strings"
)

// bigPolicy generates a policy of resources × perRes rules: role grants on
// every record, owner rules, membership rules, wildcard and pattern
// principals, in rotation, over 2*resources distinct roles.
func bigPolicy(resources, perRes int) []byte {
	var b strings.Builder
	b.WriteString("private_resources:\n  - {resource: list, attr: list_id}\npolicies:\n  list: []\n")
	n := 0
	for r := range resources {
		fmt.Fprintf(&b, "  res%d:\n", r)
		for i := range perRes {
			switch i % 5 {
			case 0:
				fmt.Fprintf(&b, "    - {principal: role%d, resource: \"{resource}:*\", actions: r}\n", n%(2*resources))
			case 1:
				fmt.Fprintf(&b, "    - {principal: \"user/{{uid}}\", resource: \"{resource}:{{uid}}\", actions: cdru}\n")
			case 2:
				fmt.Fprintf(&b, "    - {principal: \"list-{{list_id}}-member\", resource: \"{resource}:{{list_id}}\", actions: gr}\n")
			case 3:
				fmt.Fprintf(&b, "    - {principal: role%d, resource: \"{resource}:{{uid}}\", actions: u}\n", (n+7)%(2*resources))
			case 4:
				if i%10 == 4 {
					fmt.Fprintf(&b, "    - {principal: \"team%d-*\", resource: \"{resource}:*\", actions: l}\n", r%10)
				} else {
					fmt.Fprintf(&b, "    - {principal: \"*\", resource: \"{resource}:*\", actions: c}\n")
				}
			}
			n++
		}
	}
	return []byte(b.String())
}

// bigPrincipalRoles returns 50 roles: "user", 9 static roles of which some
// appear in bigPolicy, a team role matching a pattern, and 39 list
// memberships.
func bigPrincipalRoles() []string {
	roles := []string{"user", "team3-dev"}
	for i := range 8 {
		roles = append(roles, fmt.Sprintf("role%d", i*25))
	}
	for i := range 40 {
		roles = append(roles, fmt.Sprintf("list-x-%04d-%s", i, []string{"invitee", "member", "manager"}[i%3]))
	}
	return roles
}
