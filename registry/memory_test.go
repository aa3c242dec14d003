package registry_test

import (
	"context"
	"testing"

	"github.com/apicrud-go/apicrud/registry"
	"github.com/apicrud-go/apicrud/registry/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) registry.Store {
		s := registry.NewMemoryStore()
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return s
	})
}
