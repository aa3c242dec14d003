// Command hookmismatch must not compile: it gives a resource of notes the
// hooks of another record type (TestHooksOfAnotherTypeDoNotCompile).
package main

import (
	"github.com/apicrud-go/apicrud/crud"
)

type note struct {
	ID string `db:"id"`
}

type other struct {
	ID string `db:"id"`
}

func main() {
	_, _ = crud.NewResourceWithHooks[note](nil, "note", crud.Hooks[other]{})
}
