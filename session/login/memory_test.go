package login_test

import (
	"context"
	"testing"

	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/storetest"
)

func TestMemoryAccounts(t *testing.T) {
	t.Parallel()
	storetest.RunAccounts(t, func(t *testing.T) login.AccountStore { return login.NewMemoryAccounts() })
}

func TestMemoryStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) login.Store {
		s := login.NewMemoryStore()
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return s
	})
}
