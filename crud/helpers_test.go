package crud

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// testPrincipal is the caller of a test request.
type testPrincipal struct {
	uid    string
	admin  bool
	scopes []string
	lists  []string // lists the caller is a member of
}

type principalKey struct{}

func as(ctx context.Context, p *testPrincipal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

func principalOf(ctx context.Context) *testPrincipal {
	p, _ := ctx.Value(principalKey{}).(*testPrincipal)
	return p
}

// testAuth is an honest Authorizer with owner/admin/public/member
// semantics: admins may do anything; owners anything on their records;
// anyone may read public records; members of a record's list may read it
// when its privacy is "member" (or less restrictive); creating needs the
// caller to be the owner and, for a record in a list, a member of it;
// asked about a list alone (no owner), members may create records in it.
type testAuth struct {
	// anonCreate lets anonymous callers create records of resources
	// without an owner (registration-style).
	anonCreate bool
	// readAll lets authenticated callers read every record (the policy
	// "*: r").
	readAll bool
}

func (testAuth) UID(ctx context.Context) (string, bool) {
	if p := principalOf(ctx); p != nil && p.uid != "" {
		return p.uid, true
	}
	return "", false
}

func (a testAuth) Allowed(ctx context.Context, action byte, resource string, attrs map[string]string) bool {
	p := principalOf(ctx)
	if p == nil {
		switch action {
		case 'r':
			return attrs["privacy"] == "public"
		case 'c':
			_, owned := attrs["uid"]
			return a.anonCreate && !owned
		}
		return false
	}
	if p.admin {
		return true
	}
	list, inList := attrs["list_id"]
	member := inList && list != "" && slices.Contains(p.lists, list)
	if _, owned := attrs["uid"]; !owned && member && action == 'c' {
		return true // members may post to their list
	}
	if owner, ok := attrs["uid"]; ok && owner == p.uid {
		if (action == 'c' || action == 'u') && inList && list != "" {
			return member
		}
		return true
	}
	if action == 'r' {
		if a.readAll {
			return true
		}
		switch attrs["privacy"] {
		case "public":
			return true
		case "invitee", "member":
			return member
		}
	}
	return false
}

func (a testAuth) Filter(ctx context.Context, action byte, resource string, cols map[string]string) (string, []any, error) {
	p := principalOf(ctx)
	priv, hasPriv := cols["privacy"]
	if p == nil {
		if action == 'r' && hasPriv {
			return priv + " = ?", []any{"public"}, nil
		}
		return "1=0", nil, nil
	}
	if p.admin || (action == 'r' && a.readAll) {
		return "1=1", nil, nil
	}
	var conds []string
	var args []any
	if owner, ok := cols["uid"]; ok {
		conds = append(conds, owner+" = ?")
		args = append(args, p.uid)
	}
	if action == 'r' && hasPriv {
		conds = append(conds, priv+" = ?")
		args = append(args, "public")
		if list, ok := cols["list_id"]; ok && len(p.lists) > 0 {
			c := "(" + priv + " IN (?, ?) AND " + list + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(p.lists)), ", ") + "))"
			conds = append(conds, c)
			args = append(args, "invitee", "member")
			for _, l := range p.lists {
				args = append(args, l)
			}
		}
	}
	if len(conds) == 0 {
		return "1=0", nil, nil
	}
	return "(" + strings.Join(conds, " OR ") + ")", args, nil
}

func (testAuth) HasScopes(ctx context.Context, scopes ...string) bool {
	p := principalOf(ctx)
	if p == nil {
		return false
	}
	for _, s := range scopes {
		if !slices.Contains(p.scopes, s) {
			return false
		}
	}
	return true
}

var _ Authorizer = testAuth{}

// contact is the record type of most tests.
type contact struct {
	ID       string     `db:"id" json:"id"`
	UID      string     `db:"uid" json:"uid"`
	Name     string     `db:"name" json:"name" crud:"writable,required,maxlen=64"`
	Info     string     `db:"info" json:"info" crud:"writable"`
	Rank     int        `db:"rank" json:"rank" crud:"writable"`
	Muted    bool       `db:"muted" json:"muted" crud:"writable"`
	Label    *string    `db:"label" json:"label,omitempty" crud:"writable,enum=home|work|mobile|other"`
	Privacy  string     `db:"privacy" json:"privacy" crud:"writable,default=member"`
	ListID   *string    `db:"list_id" json:"list_id,omitempty" crud:"writable"`
	IsAdmin  bool       `db:"is_admin" json:"is_admin"`
	Secret   string     `db:"secret" json:"-"`
	Status   string     `db:"status" json:"status" crud:"enum=active|disabled|unconfirmed"`
	Created  time.Time  `db:"created" json:"created"`
	Modified *time.Time `db:"modified" json:"modified,omitempty"`
	Version  int64      `db:"version" json:"version"`
}

// contactDDL returns CREATE TABLE statements for the contact table (named
// table) and a related table contact_tag (contact_id, tag).
func contactDDL(dialect, table string) []string {
	switch dialect {
	case testenv.Postgres:
		return []string{
			`CREATE TABLE ` + table + ` (id TEXT PRIMARY KEY, uid TEXT NOT NULL, name TEXT NOT NULL, info TEXT NOT NULL DEFAULT '',
			"rank" BIGINT NOT NULL DEFAULT 0, muted BOOLEAN NOT NULL DEFAULT FALSE, label TEXT, privacy TEXT NOT NULL,
			list_id TEXT, is_admin BOOLEAN NOT NULL DEFAULT FALSE, secret TEXT NOT NULL DEFAULT '', status TEXT NOT NULL,
			created TIMESTAMPTZ NOT NULL, modified TIMESTAMPTZ, version BIGINT NOT NULL, UNIQUE (uid, name))`,
			`CREATE INDEX ` + table + `_uid ON ` + table + ` (uid)`,
			`CREATE TABLE ` + table + `_tag (contact_id TEXT NOT NULL REFERENCES ` + table + `(id) ON DELETE CASCADE, tag TEXT NOT NULL)`,
		}
	case testenv.MySQL:
		return []string{
			"CREATE TABLE " + table + " (id VARCHAR(64) PRIMARY KEY, uid VARCHAR(64) NOT NULL, name VARCHAR(255) NOT NULL, info VARCHAR(255) NOT NULL DEFAULT '', " +
				"`rank` BIGINT NOT NULL DEFAULT 0, muted BOOLEAN NOT NULL DEFAULT FALSE, label VARCHAR(16), privacy VARCHAR(16) NOT NULL, " +
				"list_id VARCHAR(64), is_admin BOOLEAN NOT NULL DEFAULT FALSE, secret VARCHAR(255) NOT NULL DEFAULT '', status VARCHAR(16) NOT NULL, " +
				"created DATETIME(6) NOT NULL, modified DATETIME(6), version BIGINT NOT NULL, UNIQUE KEY uid_name (uid, name), KEY uid (uid)) ENGINE=InnoDB",
			"CREATE TABLE " + table + "_tag (contact_id VARCHAR(64) NOT NULL, tag VARCHAR(64) NOT NULL, " +
				"FOREIGN KEY (contact_id) REFERENCES " + table + "(id) ON DELETE CASCADE) ENGINE=InnoDB",
		}
	default:
		return []string{
			`CREATE TABLE ` + table + ` (id TEXT PRIMARY KEY, uid TEXT NOT NULL, name TEXT NOT NULL, info TEXT NOT NULL DEFAULT '',
			"rank" INTEGER NOT NULL DEFAULT 0, muted BOOLEAN NOT NULL DEFAULT 0, label TEXT, privacy TEXT NOT NULL,
			list_id TEXT, is_admin BOOLEAN NOT NULL DEFAULT 0, secret TEXT NOT NULL DEFAULT '', status TEXT NOT NULL,
			created DATETIME NOT NULL, modified DATETIME, version INTEGER NOT NULL, UNIQUE (uid, name))`,
			`CREATE INDEX ` + table + `_uid ON ` + table + ` (uid)`,
			`CREATE TABLE ` + table + `_tag (contact_id TEXT NOT NULL REFERENCES ` + table + `(id) ON DELETE CASCADE, tag TEXT NOT NULL)`,
		}
	}
}

func createContactTable(t testing.TB, db *sqlx.DB, table string) {
	t.Helper()
	for _, s := range contactDDL(testenv.Dialect(db), table) {
		_, err := db.Exec(s)
		require.NoError(t, err, s)
	}
}

// newContacts creates the contact table in db and a resource over it.
func newContacts(t testing.TB, db *sqlx.DB, opts ...Option) *Resource[contact] {
	t.Helper()
	return newContactsWithHooks(t, db, Hooks[contact]{}, opts...)
}

// newContactsWithHooks is newContacts with hooks.
func newContactsWithHooks(t testing.TB, db *sqlx.DB, hooks Hooks[contact], opts ...Option) *Resource[contact] {
	t.Helper()
	createContactTable(t, db, "contact")
	res, err := NewResourceWithHooks(db, "contact", hooks, append([]Option{WithAuthorizer(testAuth{})}, opts...)...)
	require.NoError(t, err)
	return res
}

// Principals used throughout the tests.
var (
	alice = &testPrincipal{uid: "u-alice", scopes: []string{"contacts.read", "contacts.write"}}
	bob   = &testPrincipal{uid: "u-bob", lists: []string{"l-1"}}
	admin = &testPrincipal{uid: "u-admin", admin: true}
)

// server serves handlers with a middleware that takes the principal from
// the X-Test-User header (alice, bob, admin; absent: anonymous).
type server struct {
	t   testing.TB
	srv *httptest.Server
}

func newServer(t testing.TB, register func(mux *http.ServeMux)) *server {
	t.Helper()
	mux := http.NewServeMux()
	register(mux)
	users := map[string]*testPrincipal{"alice": alice, "bob": bob, "admin": admin}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := users[r.Header.Get("X-Test-User")]; p != nil {
			r = r.WithContext(as(r.Context(), p))
		}
		mux.ServeHTTP(w, r)
	})
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return &server{t: t, srv: s}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), string(r.body))
	return m
}

// do sends a request as user ("" for anonymous). A non-nil body that is
// not a string or []byte is marshalled as JSON.
func (s *server) do(method, path, user string, body any, hdr ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(s.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	require.NoError(s.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.srv.Client().Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func ptr[V any](v V) *V { return &v }
