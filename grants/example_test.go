package grants_test

import (
	"context"
	"fmt"
	"time"

	"github.com/apicrud-go/apicrud/grants"
)

func Example() {
	ctx := context.Background()
	defaults, err := grants.ParseDefaults([]byte(`
lists: 12
media_size_max: 0x1000000
ratelimit: 500
`))
	if err != nil {
		panic(err)
	}
	g, err := grants.New(defaults) // in-memory overrides and cache
	if err != nil {
		panic(err)
	}
	defer g.Close(ctx)

	// A paid account gets 50 lists for a year.
	_ = g.Set(ctx, "u-paid", "lists", "50", time.Now().AddDate(1, 0, 0))

	for _, uid := range []string{"u-free", "u-paid"} {
		n, _ := g.Limit(ctx, "lists", uid)
		fmt.Println(uid, "lists:", n)
	}
	v, _ := g.Get(ctx, "media_size_max", "u-free")
	n, _ := v.Int64()
	fmt.Println("media_size_max:", v, "=", n)

	_, err = g.Get(ctx, "photos", "u-free")
	fmt.Println(err)
	// Output:
	// u-free lists: 12
	// u-paid lists: 50
	// media_size_max: 0x1000000 = 16777216
	// grants: unknown grant "photos" (not among the defaults)
}

func ExampleGrants_List() {
	ctx := context.Background()
	defaults, _ := grants.ParseDefaults([]byte("lists: 12\nlist_size: 250\n"))
	g, _ := grants.New(defaults)
	defer g.Close(ctx)
	_ = g.Set(ctx, "u-1", "list_size", "1000", time.Time{})

	list, _ := g.List(ctx, "u-1")
	for _, gr := range list {
		fmt.Println(gr.ID, gr.Value, gr.Default)
	}
	gr, _ := g.Lookup(ctx, "u-1:lists")
	fmt.Println(gr.Name, gr.Value)
	// Output:
	// u-1:lists 12 true
	// u-1:list_size 1000 false
	// lists 12
}

func ExampleGrants_RateLimit() {
	ctx := context.Background()
	defaults, _ := grants.ParseDefaults([]byte("ratelimit: 500\nratelimit_login_attempt: 5\n"))
	g, _ := grants.New(defaults)
	defer g.Close(ctx)

	n, ok, _ := g.RateLimit(ctx, "u-1", "*")
	fmt.Println(n, ok)
	n, ok, _ = g.RateLimit(ctx, "u-1", "login.attempt")
	fmt.Println(n, ok)
	// Output:
	// 500 true
	// 5 true
}
