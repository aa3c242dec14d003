package apikey_test

import (
	"github.com/apicrud-go/apicrud/apikey"
	"github.com/apicrud-go/apicrud/session"
)

// *Manager is session's APIKeyVerifier.
var _ session.APIKeyVerifier = (*apikey.Manager)(nil)
