package accesscontrol_test

import (
	"github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/crud"
	"github.com/apicrud-go/apicrud/session"
)

// The cross-package contracts of HELPERS.md: *Policy is crud's Authorizer,
// *APIKeys is session's APIKeyVerifier.
var (
	_ crud.Authorizer        = (*accesscontrol.Policy)(nil)
	_ session.APIKeyVerifier = (*accesscontrol.APIKeys)(nil)
)
