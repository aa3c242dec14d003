package passkey_test

import (
	"context"
	"crypto/rand"
	"fmt"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/passkey"
)

// Wiring passkeys into login: passwordless login, and a passkey as the
// second factor of password logins.
func Example() {
	ctx := context.Background()
	key := make([]byte, apicrypto.KeySize)
	_, _ = rand.Read(key)
	cipher, err := apicrypto.NewFromKey(key)
	if err != nil {
		panic(err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	sessions, err := session.New(cipher, secret)
	if err != nil {
		panic(err)
	}
	defer sessions.Close(ctx)

	store := passkey.NewMemoryStore()
	logins, err := login.New(sessions, login.NewMemoryAccounts(), login.WithFactors(passkey.Factors(store)))
	if err != nil {
		panic(err)
	}
	defer logins.Close(ctx)
	passkeys, err := passkey.New(logins, store, passkey.RelyingParty{
		ID: "example.com", Name: "Contacts", Origins: []string{"https://example.com"}})
	if err != nil {
		panic(err)
	}

	acc, err := logins.CreateAccount(ctx, login.NewAccount{Username: "alice", Password: "correct horse battery staple"})
	if err != nil {
		panic(err)
	}
	ch, err := passkeys.BeginRegistration(ctx, acc.UID)
	if err != nil {
		panic(err)
	}
	// The browser gives ch.Options to navigator.credentials.create and
	// posts back the credential's JSON with ch.State.
	fmt.Println(len(ch.Options) > 0, ch.State != "")
	_, err = passkeys.FinishRegistration(ctx, acc.UID, ch.State, []byte(`{}`), "laptop")
	fmt.Println(err != nil)
	_, err = passkeys.FinishRegistration(ctx, acc.UID, ch.State, []byte(`{}`), "laptop")
	fmt.Println(err)
	// Output:
	// true true
	// true
	// passkey: ceremony expired or already used
}
