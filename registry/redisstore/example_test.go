package redisstore_test

import (
	"context"
	"log"
	"os"

	"github.com/redis/go-redis/v9"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
	"github.com/apicrud-go/apicrud/registry"
	registryredis "github.com/apicrud-go/apicrud/registry/redisstore"
)

// Every instance of the service registers in the same Redis and sees the
// others. (Compile-only: it needs a Redis server.)
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()

	key, err := apicrypto.ParseKey(os.Getenv("REGISTRY_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	sealer, err := apicrypto.NewFromKey(key.Bytes(), apicrypto.WithPurpose("registry"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := registryredis.New(rdb)
	if err != nil {
		log.Fatal(err)
	}
	reg, err := registry.New(sealer, registry.WithStore(store))
	if err != nil {
		log.Fatal(err)
	}
	host, _ := os.Hostname()
	r, err := reg.Register(ctx, registry.Instance{
		Service: "main", ID: host, Endpoints: []string{"person"},
		PublicURL: "https://api.example.com/api/v1", Port: 8080,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close(ctx)

	res, err := reg.Find(ctx, "") // every service
	if err != nil {
		log.Fatal(err)
	}
	log.Println(res.URLMap)
}
