package compose_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/apikey"
	"github.com/apicrud-go/apicrud/crud"
	apicrypto "github.com/apicrud-go/apicrud/crypto"
	"github.com/apicrud-go/apicrud/ratelimit"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

// Note is the host's record type: crud finds the id, owner (uid),
// privacy, status, created and version columns by name.
type Note struct {
	ID      string    `db:"id" json:"id"`
	UID     string    `db:"uid" json:"uid"`
	Text    string    `db:"text" json:"text" crud:"writable,required"`
	Privacy string    `db:"privacy" json:"privacy" crud:"writable"`
	Status  string    `db:"status" json:"status"`
	Created time.Time `db:"created" json:"created"`
	Version int64     `db:"version" json:"version"`
}

const policyYAML = `
policies:
  note:
    - {principal: admin, resource: "{resource}:*", actions: cdru}
    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}", actions: cdru}
`

func Example() {
	ctx := context.Background()
	db := notesDB()
	key := must(apicrypto.GenerateKey())
	secret := []byte(rand.Text() + rand.Text()) // shared by every instance

	policy := must(ac.LoadBytes([]byte(policyYAML), "rbac.yaml"))
	cipher := must(apicrypto.NewFromKey(key.Bytes()))
	keys := must(apikey.New()) // in-memory store; apikey.WithStore(an apikey/sqlstore) to share
	defer keys.Close(ctx)
	sessions := must(session.New(cipher, secret, session.WithAPIKeys(keys), session.WithContextFunc( // in-memory store
		func(ctx context.Context, s *session.Session) context.Context { // a login or an X-Api-Key
			return ac.WithPrincipal(ctx, ac.NewPrincipal(ac.Identity{UID: s.UID, Roles: s.Roles, Scopes: s.Scopes, AuthMethod: s.Method}))
		})))
	defer sessions.Close(ctx)
	accounts := login.NewMemoryAccounts()         // login/sqlaccounts on a shared database
	logins := must(login.New(sessions, accounts)) // passwords, lockout, TOTP, registration, reset links
	defer logins.Close(ctx)
	limiter := must(ratelimit.New(ratelimit.WithDefaultLimit(ratelimit.PerMinute(600))))
	notes := must(crud.NewResource[Note](db, "note", crud.WithAuthorizer(policy)))

	mux := http.NewServeMux()
	notes.Routes(mux, "/api/v1") // POST/GET/PUT/DELETE /api/v1/note[/{id}]
	srv := httptest.NewServer(logins.Clients(sessions.Authenticate(limiter.Handler(mux))))
	defer srv.Close()

	acct := must(logins.CreateAccount(ctx, login.NewAccount{Username: "ann", Password: "correct horse battery staple"}))
	_, ann, err := logins.Login(ctx, "ann", "correct horse battery staple", "") // a session token, roles [user]
	if err != nil {
		panic(err)
	}
	_, bob, err := sessions.Create(ctx, "u-bob", []string{"user"}, session.Extra{})
	if err != nil {
		panic(err)
	}
	loc := send(srv.URL+"/api/v1/note", "POST", ann, `{"text":"buy milk"}`)
	send(srv.URL+loc, "GET", ann, "")
	send(srv.URL+loc, "GET", bob, "") // a secret note of someone else
	send(srv.URL+loc, "GET", "", "")  // anonymous
	annKey, _, err := keys.Create(ctx, acct.UID, "backup script", nil, time.Time{})
	if err != nil {
		panic(err)
	}
	sendKey(srv.URL+loc, annKey.Reveal()) // shown once; only its hash is stored
	// Output:
	// POST 201
	// GET 200
	// GET 404
	// GET 404
	// GET with X-Api-Key 200
}

// must stops the example on a setup error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// send makes a request with a Bearer token and prints its status; it
// returns the Location header.
func send(url, method string, tok session.Token, body string) string {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+string(tok))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	fmt.Println(method, resp.StatusCode)
	return resp.Header.Get("Location")
}

// sendKey makes a GET with an API key and prints its status.
func sendKey(url, key string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	fmt.Println("GET with X-Api-Key", resp.StatusCode)
}

func notesDB() *sqlx.DB {
	raw, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		panic(err)
	}
	raw.SetMaxOpenConns(1)
	db := sqlx.NewDb(raw, "sqlite3")
	db.MustExec(`CREATE TABLE note (id TEXT PRIMARY KEY, uid TEXT NOT NULL, text TEXT NOT NULL,
		privacy TEXT NOT NULL, status TEXT NOT NULL, created DATETIME NOT NULL, version INTEGER NOT NULL)`)
	return db
}
