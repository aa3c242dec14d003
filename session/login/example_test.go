package login_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/netip"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// newCipher returns the Sealer of the examples. A real service loads its
// key (and the secret) from its configuration, the same on every instance.
func newCipher() *apicrypto.Cipher {
	key := make([]byte, apicrypto.KeySize)
	_, _ = rand.Read(key)
	c, err := apicrypto.NewFromKey(key)
	if err != nil {
		panic(err)
	}
	return c
}

func exampleSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// A login, an authenticated request, and a logout.
func Example() {
	ctx := context.Background()
	sessions, err := session.New(newCipher(), exampleSecret())
	if err != nil {
		panic(err)
	}
	defer sessions.Close(ctx)
	m, err := login.New(sessions, login.NewMemoryAccounts())
	if err != nil {
		panic(err)
	}
	defer m.Close(ctx)
	if _, err := m.CreateAccount(ctx, login.NewAccount{Username: "alice", Identity: "alice@example.com", Password: "correct horse battery staple"}); err != nil {
		panic(err)
	}

	// The client address keys login throttling (the Clients middleware sets it).
	ctx = login.NewClientContext(ctx, login.Client{IP: netip.MustParseAddr("192.0.2.1")})
	_, _, err = m.Login(ctx, "alice", "not my password", "")
	fmt.Println(err)
	s, tok, err := m.Login(ctx, "alice@example.com", "correct horse battery staple", "")
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Roles, s.Method)

	got, err := sessions.Validate(ctx, string(tok))
	fmt.Println(got.Values["username"], err)

	_ = sessions.Delete(ctx, s)
	_, err = sessions.Validate(ctx, string(tok))
	fmt.Println(err != nil)
	// Output:
	// login: invalid credentials
	// [user] password
	// alice <nil>
	// true
}

// printNotifier stands in for an e-mail sender.
type printNotifier struct{ sent chan login.Notice }

func (p *printNotifier) Notify(_ context.Context, n login.Notice) error {
	p.sent <- n
	return nil
}

// Registration with confirmation: the link goes out by mail, never in a
// response. The Manager queues the notice and returns before it is
// delivered, so that a registration takes the same time whatever it sends.
func ExampleManager_Register() {
	ctx := context.Background()
	sessions, err := session.New(newCipher(), exampleSecret())
	if err != nil {
		panic(err)
	}
	defer sessions.Close(ctx)
	mail := &printNotifier{sent: make(chan login.Notice, 1)}
	m, err := login.New(sessions, login.NewMemoryAccounts(), login.WithNotifier(mail))
	if err != nil {
		panic(err)
	}
	defer m.Close(ctx) // delivers what is still queued
	_, err = m.Register(ctx, login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: "password1"})
	fmt.Println(err)
	_, err = m.Register(ctx, login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: "a long and unusual passphrase"})
	fmt.Println(err)
	n := <-mail.sent
	fmt.Println("mail to", n.Identity+":", n.Purpose)
	fmt.Println(m.Confirm(ctx, n.Token, "a long and unusual passphrase"))
	fmt.Println(m.Confirm(ctx, n.Token, "a long and unusual passphrase"))
	// Output:
	// login: password rejected: the password must have at least 10 characters
	// <nil>
	// mail to bob@example.com: confirm
	// <nil>
	// login: invalid or expired link: already used or superseded
}

func ExamplePasswordPolicy_Check() {
	p := login.DefaultPasswordPolicy()
	for _, pw := range []string{"short", "qwertyuiop", "alice-wonderland", "correct horse battery staple"} {
		fmt.Println(p.Check(pw, "alice", "alice@example.com"))
	}
	// Output:
	// login: password rejected: the password must have at least 10 characters
	// login: password rejected: the password is one of the most commonly used passwords; choose another
	// login: password rejected: the password is too similar to the username or e-mail address
	// <nil>
}
