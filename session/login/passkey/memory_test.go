package passkey_test

import (
	"testing"

	"github.com/apicrud-go/apicrud/session/login/passkey"
	"github.com/apicrud-go/apicrud/session/login/passkey/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) passkey.Store { return passkey.NewMemoryStore() })
}
