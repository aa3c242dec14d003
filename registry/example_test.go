package registry_test

import (
	"context"
	"fmt"
	"log"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
	"github.com/apicrud-go/apicrud/registry"
)

// Two instances of one service register; Find returns both and the
// url_map of their resources. (Entries are sealed: the key would come from
// the service's configuration.)
func Example() {
	ctx := context.Background()
	key, _ := apicrypto.GenerateKey()
	sealer, err := apicrypto.NewFromKey(key.Bytes(), apicrypto.WithPurpose("registry"))
	if err != nil {
		log.Fatal(err)
	}
	reg, err := registry.New(sealer) // in memory; registryredis.New(rdb) to share
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close(ctx)

	for _, id := range []string{"host-1", "host-2"} {
		r, err := reg.Register(ctx, registry.Instance{
			Service:   "main",
			ID:        id,
			Endpoints: []string{"person", "contact"},
			PublicURL: "https://api.example.com/api/v1",
			Port:      8080,
		})
		if err != nil {
			log.Fatal(err)
		}
		defer r.Close(ctx) // stops the heartbeat and deregisters
	}

	res, err := reg.Find(ctx, "main")
	if err != nil {
		log.Fatal(err)
	}
	for _, inst := range res.Instances {
		fmt.Println(inst.Service, inst.ID, inst.Endpoints)
	}
	fmt.Println(res.URLMap["contact"])
	// Output:
	// main host-1 [person contact]
	// main host-2 [person contact]
	// https://api.example.com/api/v1
}
