package crud

import (
	"context"
	"testing"
	"time"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// scopePolicy is the contacts example's policy for lists and their
// messages: owners may do anything with their own records, list members
// may post, managers moderate.
const scopePolicy = `
privacy_levels: [public, invitee, member, manager, secret]
private_resources:
  - {resource: list, attr: list_id}
policies:
  list:
    - {principal: admin, resource: "{resource}:*", actions: cdiru}
    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}", actions: cdghjiru}
    - {principal: "list-{{eid}}-manager", resource: "{resource}:{{list_id}}", actions: ghijru}
    - {principal: "list-{{list_id}}-member", resource: "{resource}:{{list_id}}", actions: gijr}
    - {principal: "list-{{list_id}}-invitee", resource: "{resource}:{{list_id}}", actions: r}
  message:
    - {principal: admin, resource: "{resource}:*", actions: cdru}
    - {principal: "user/{{uid}}", resource: "{resource}:{{uid}}", actions: cdru}
    - {principal: "list-{{list_id}}-manager", resource: "{resource}:{{list_id}}", actions: cdhr}
    - {principal: "list-{{list_id}}-invitee", resource: "{resource}:{{list_id}}", actions: c}
`

type scopeList struct {
	ID      string    `db:"id" json:"id"`
	UID     string    `db:"uid" json:"uid"`
	Name    string    `db:"name" json:"name" crud:"writable,required"`
	Privacy string    `db:"privacy" json:"privacy" crud:"writable,default=member"`
	Status  string    `db:"status" json:"status"`
	Created time.Time `db:"created" json:"created"`
	Version int64     `db:"version" json:"version"`
}

type scopeMessage struct {
	ID      string    `db:"id" json:"id"`
	UID     string    `db:"uid" json:"uid"`
	ListID  *string   `db:"list_id" json:"list_id,omitempty" crud:"writable"`
	Subject string    `db:"subject" json:"subject" crud:"writable,required"`
	Privacy string    `db:"privacy" json:"privacy" crud:"writable,default=member"`
	Status  string    `db:"status" json:"status"`
	Created time.Time `db:"created" json:"created"`
	Version int64     `db:"version" json:"version"`
}

func newScoped(t *testing.T, db *sqlx.DB) (*Resource[scopeList], *Resource[scopeMessage]) {
	t.Helper()
	txt, ts := "TEXT", map[string]string{testenv.Postgres: "TIMESTAMPTZ", testenv.MySQL: "DATETIME(6)", testenv.SQLite: "DATETIME"}[testenv.Dialect(db)]
	if testenv.Dialect(db) == testenv.MySQL {
		txt = "VARCHAR(64)"
	}
	for _, q := range []string{
		`CREATE TABLE list (id ` + txt + ` PRIMARY KEY, uid ` + txt + ` NOT NULL, name ` + txt + ` NOT NULL,
			privacy ` + txt + ` NOT NULL, status ` + txt + ` NOT NULL, created ` + ts + ` NOT NULL, version BIGINT NOT NULL)`,
		`CREATE TABLE message (id ` + txt + ` PRIMARY KEY, uid ` + txt + ` NOT NULL, list_id ` + txt + `, subject ` + txt + ` NOT NULL,
			privacy ` + txt + ` NOT NULL, status ` + txt + ` NOT NULL, created ` + ts + ` NOT NULL, version BIGINT NOT NULL)`,
	} {
		_, err := db.Exec(q)
		require.NoError(t, err)
	}
	pol, err := ac.LoadBytes([]byte(scopePolicy), "scope.yaml")
	require.NoError(t, err)
	lists, err := NewResource[scopeList](db, "list", WithAuthorizer(pol), WithIDPrefix("l-"))
	require.NoError(t, err)
	msgs, err := NewResource[scopeMessage](db, "message", WithAuthorizer(pol), WithIDPrefix("m-"), WithScopeResource(lists))
	require.NoError(t, err)
	return lists, msgs
}

// caller returns ctx carrying the principal uid with roles, as a session
// holds them at the time of the request.
func caller(ctx context.Context, uid string, roles ...string) context.Context {
	return ac.WithPrincipal(ctx, ac.NewPrincipal(ac.Identity{UID: uid, Roles: append([]string{"user"}, roles...)}))
}

// TestScopeStaleMembership: a member removed from a list (their session's
// roles no longer name it) cannot update, delete, restore or purge what
// they posted to it, though they still own it; members, the list's owner
// and admins still can.
func TestScopeStaleMembership(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		lists, msgs := newScoped(t, db)
		tc, err := NewTrashcan()
		require.NoError(t, err)
		require.NoError(t, tc.Register(msgs))
		ctx := t.Context()
		owner := caller(ctx, "u-owner")
		l, err := lists.Create(owner, &scopeList{Name: "club"})
		require.NoError(t, err)
		member := caller(ctx, "u-bob", "list-"+l.ID+"-invitee", "list-"+l.ID+"-member")
		removed := caller(ctx, "u-bob") // the same account after its membership ended
		stranger := caller(ctx, "u-eve")
		admin := caller(ctx, "u-admin", "admin")

		post := func(c context.Context, subject string) *scopeMessage {
			t.Helper()
			m, err := msgs.Create(c, &scopeMessage{Subject: subject, ListID: &l.ID})
			require.NoError(t, err)
			return m
		}
		m1 := post(member, "one")
		m2 := post(member, "two")
		m3 := post(member, "three")

		_, err = msgs.Create(stranger, &scopeMessage{Subject: "spam", ListID: &l.ID})
		require.ErrorIs(t, err, ErrForbidden, "a stranger cannot post")
		_, err = msgs.Create(removed, &scopeMessage{Subject: "late", ListID: &l.ID})
		require.ErrorIs(t, err, ErrForbidden, "a removed member cannot post")

		// While a member: edits work.
		_, err = msgs.Update(member, m1.ID, &scopeMessage{Subject: "one, edited"}, "subject")
		require.NoError(t, err)
		require.NoError(t, msgs.Delete(member, false, m3.ID))

		// Removed: the record is still theirs, but every write is refused.
		_, err = msgs.Update(removed, m1.ID, &scopeMessage{Subject: "vandalised"}, "subject")
		require.ErrorIs(t, err, ErrForbidden, "update after removal")
		_, err = msgs.Update(removed, m1.ID, &scopeMessage{}, "list_id")
		require.ErrorIs(t, err, ErrForbidden, "moving out after removal")
		require.ErrorIs(t, msgs.Delete(removed, false, m2.ID), ErrForbidden, "delete after removal")
		require.ErrorIs(t, msgs.Delete(removed, true, m2.ID), ErrForbidden, "purge after removal")
		_, err = tc.Restore(removed, "message-"+m3.ID)
		require.ErrorIs(t, err, ErrForbidden, "restore after removal")
		require.ErrorIs(t, tc.Purge(removed, "message-"+m3.ID), ErrForbidden, "purge from the trashcan after removal")
		_, err = msgs.Get(owner, m1.ID)
		require.ErrorIs(t, err, ErrNotFound, "the list's owner reads member-privacy messages only as a member")
		got, err := msgs.Get(admin, m1.ID)
		require.NoError(t, err)
		require.Equal(t, "one, edited", got.Subject, "nothing was written")

		// Still allowed: the member while a member, the list's owner in
		// their own list, admins.
		_, err = tc.Restore(member, "message-"+m3.ID)
		require.NoError(t, err)
		mine := post(owner, "from the owner")
		_, err = msgs.Update(owner, mine.ID, &scopeMessage{Subject: "owner edit"}, "subject")
		require.NoError(t, err)
		_, err = msgs.Update(admin, m1.ID, &scopeMessage{Subject: "admin edit"}, "subject")
		require.NoError(t, err)
		require.NoError(t, msgs.Delete(admin, false, m2.ID))

		// A message outside any list is its owner's alone.
		free, err := msgs.Create(removed, &scopeMessage{Subject: "no list"})
		require.NoError(t, err)
		_, err = msgs.Update(removed, free.ID, &scopeMessage{Subject: "still mine"}, "subject")
		require.NoError(t, err)
		// Moving it into a list needs a role there.
		_, err = msgs.Update(removed, free.ID, &scopeMessage{ListID: &l.ID}, "list_id")
		require.ErrorIs(t, err, ErrForbidden)
		_, err = msgs.Update(member, post(member, "x").ID, &scopeMessage{ListID: nil}, "list_id")
		require.NoError(t, err, "a member may take a message out of the list")

		// Once the list is deleted its owner no longer writes within it.
		require.NoError(t, lists.Delete(owner, false, l.ID))
		_, err = msgs.Update(owner, mine.ID, &scopeMessage{Subject: "after"}, "subject")
		require.ErrorIs(t, err, ErrForbidden)
	})
}
