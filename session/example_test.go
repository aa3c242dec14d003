package session_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
	"github.com/apicrud-go/apicrud/session"
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
	m, err := session.New(newCipher(), exampleSecret(), session.WithAccounts(session.NewMemoryAccounts()))
	if err != nil {
		panic(err)
	}
	defer m.Close(ctx)
	if _, err := m.CreateAccount(ctx, session.NewAccount{Username: "alice", Identity: "alice@example.com", Password: "correct horse battery staple"}); err != nil {
		panic(err)
	}

	// The client address keys login throttling (the middleware sets it).
	ctx = session.NewClientContext(ctx, session.Client{IP: netip.MustParseAddr("192.0.2.1")})
	_, _, err = m.Login(ctx, "alice", "not my password", "")
	fmt.Println(err)
	s, tok, err := m.Login(ctx, "alice@example.com", "correct horse battery staple", "")
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Roles, s.Method)

	got, err := m.Validate(ctx, string(tok))
	fmt.Println(got.Values["username"], err)

	_ = m.Delete(ctx, s)
	_, err = m.Validate(ctx, string(tok))
	fmt.Println(errors.Is(err, session.ErrInvalidToken))
	// Output:
	// session: invalid credentials
	// [user] password
	// alice <nil>
	// true
}

// The middleware authenticates Bearer tokens, session cookies and API keys,
// and lets the host put its own principal into the context.
func ExampleManager_Authenticate() {
	type principalKey struct{}
	m, err := session.New(newCipher(), exampleSecret(),
		session.WithContextFunc(func(ctx context.Context, s *session.Session) context.Context {
			return context.WithValue(ctx, principalKey{}, s.UID) // e.g. an accesscontrol.Principal
		}))
	if err != nil {
		panic(err)
	}
	defer m.Close(context.Background())
	api := m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := session.FromContext(r.Context()); ok {
			fmt.Fprintf(w, "hello %s (%v)", r.Context().Value(principalKey{}), s.Roles)
			return
		}
		fmt.Fprint(w, "hello stranger")
	}))

	_, tok, _ := m.Create(context.Background(), "u-42", []string{"user"}, session.Extra{})
	for _, auth := range []string{"", "Bearer " + string(tok), "Bearer forged"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 hello stranger
	// 200 hello u-42 ([user])
	// 401 {"title":"Unauthorized","status":401,"detail":"invalid or expired credentials","code":"session.invalid_token"}
}

// printNotifier stands in for an e-mail sender.
type printNotifier struct{ sent chan session.Notice }

func (p *printNotifier) Notify(_ context.Context, n session.Notice) error {
	p.sent <- n
	return nil
}

// Registration with confirmation: the link goes out by mail, never in a
// response. The Manager queues the notice and returns before it is
// delivered, so that a registration takes the same time whatever it sends.
func ExampleManager_Register() {
	ctx := context.Background()
	mail := &printNotifier{sent: make(chan session.Notice, 1)}
	m, err := session.New(newCipher(), exampleSecret(), session.WithAccounts(session.NewMemoryAccounts()), session.WithNotifier(mail))
	if err != nil {
		panic(err)
	}
	defer m.Close(ctx) // delivers what is still queued
	_, err = m.Register(ctx, session.NewAccount{Username: "bob", Identity: "bob@example.com", Password: "password1"})
	fmt.Println(err)
	_, err = m.Register(ctx, session.NewAccount{Username: "bob", Identity: "bob@example.com", Password: "a long and unusual passphrase"})
	fmt.Println(err)
	n := <-mail.sent
	fmt.Println("mail to", n.Identity+":", n.Purpose)
	fmt.Println(m.Confirm(ctx, n.Token))
	fmt.Println(m.Confirm(ctx, n.Token))
	// Output:
	// session: password rejected: the password must have at least 10 characters
	// <nil>
	// mail to bob@example.com: confirm
	// <nil>
	// session: invalid or expired link: already used or superseded
}

func ExamplePasswordPolicy_Check() {
	p := session.DefaultPasswordPolicy()
	for _, pw := range []string{"short", "qwertyuiop", "alice-wonderland", "correct horse battery staple"} {
		fmt.Println(p.Check(pw, "alice", "alice@example.com"))
	}
	// Output:
	// session: password rejected: the password must have at least 10 characters
	// session: password rejected: the password is one of the most commonly used passwords; choose another
	// session: password rejected: the password is too similar to the username or e-mail address
	// <nil>
}
