package accesscontrol_test

import (
	"github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/crud"
)

// *Policy is crud's Authorizer.
var _ crud.Authorizer = (*accesscontrol.Policy)(nil)
