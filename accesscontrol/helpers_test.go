package accesscontrol_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/accesscontrol"
)

// exampleService loads testdata/rbac.yaml, the policy of apicrud's example
// service.
func exampleService(t testing.TB) *accesscontrol.Policy {
	t.Helper()
	p, err := accesscontrol.LoadFile("testdata/rbac.yaml")
	require.NoError(t, err)
	return p
}

func load(t testing.TB, yaml string) *accesscontrol.Policy {
	t.Helper()
	p, err := accesscontrol.LoadBytes([]byte(yaml), "test.yaml")
	require.NoError(t, err)
	return p
}

func principal(uid string, roles ...string) accesscontrol.Principal {
	return accesscontrol.NewPrincipal(accesscontrol.Identity{UID: uid, Roles: roles})
}
