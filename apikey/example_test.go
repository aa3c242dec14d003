package apikey_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/apicrud-go/apicrud/apikey"
)

// The life of a key on the in-memory store: create it, show it once,
// verify it, revoke it.
func Example() {
	ctx := context.Background()
	keys, err := apikey.New(
		apikey.WithOwners(apikey.OwnerFunc(func(_ context.Context, uid string) (apikey.Owner, error) {
			return apikey.Owner{Roles: []string{"user"}, AccountID: "x-acct-" + uid}, nil
		})),
	)
	if err != nil {
		panic(err)
	}
	defer keys.Close(ctx)

	key, stored, err := keys.Create(ctx, "u-1", "deploy bot", []string{"readonly"}, time.Now().Add(24*time.Hour))
	if err != nil {
		panic(err)
	}
	// Show key.Reveal() once to its owner; only a hash is stored.
	full := key.Reveal()
	fmt.Println(len(key.Prefix()), len(full), stored.Prefix == key.Prefix())
	// Key redacts itself in logs, errors and JSON.
	fmt.Println(strings.Replace(fmt.Sprint(key), key.Prefix(), "<prefix>", 1))

	c, err := keys.Verify(ctx, full)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.UID, c.Roles, c.Scopes, c.AccountID, c.KeyID == key.Prefix())

	_, err = keys.Verify(ctx, key.Prefix()+".wrongwrongwrongwrongwrongwrongwrongwrongwro")
	fmt.Println(err)
	_ = keys.Revoke(ctx, key.Prefix())
	_, err = keys.Verify(ctx, full)
	fmt.Println(err)
	// Output:
	// 12 56 true
	// <prefix>.[REDACTED]
	// u-1 [user] [readonly] x-acct-u-1 true
	// apikey: invalid API key
	// apikey: API key revoked
}

// Parse checks the form of a key before any store is read; its error
// never repeats the input.
func ExampleParse() {
	k, err := apikey.Parse("abcdefgh1234.abcdefghabcdefghabcdefghabcdefghabcdefgh123")
	fmt.Println(k, err)
	_, err = apikey.Parse("Bearer something-secret")
	fmt.Println(err, errors.Is(err, apikey.ErrMalformed))
	// Output:
	// abcdefgh1234.[REDACTED] <nil>
	// apikey: malformed API key true
}

// A host that authenticates X-Api-Key itself (session's middleware does
// this when given the Manager through session.WithAPIKeys) verifies the
// header on every request and builds its principal from the Caller.
func ExampleManager_Verify() {
	ctx := context.Background()
	keys, err := apikey.New()
	if err != nil {
		panic(err)
	}
	defer keys.Close(ctx)
	key, _, err := keys.Create(ctx, "u-1", "ci", []string{"full"}, time.Time{})
	if err != nil {
		panic(err)
	}

	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := keys.Verify(r.Context(), r.Header.Get("X-Api-Key"))
		if err != nil {
			http.Error(w, "invalid API key", http.StatusUnauthorized) // never err: it tells why
			return
		}
		// accesscontrol.NewPrincipal(accesscontrol.Identity{UID: c.UID, Roles: c.Roles,
		// Scopes: c.Scopes, AccountID: c.AccountID, AuthMethod: apikey.Method, APIKeyID: c.KeyID})
		fmt.Fprintln(w, "hello", c.UID, c.Scopes)
	})
	for _, header := range []string{key.Reveal(), key.Prefix() + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ""} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-Api-Key", header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 200 hello u-1 [full]
	// 401 invalid API key
	// 401 invalid API key
}
