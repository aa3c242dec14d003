package crud

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// TestGoAPI runs the operations through the Go API on every database.
func TestGoAPI(t *testing.T) {
	testenv.EachDB(t, func(t *testing.T, db *sqlx.DB) {
		res := newContacts(t, db)
		ctx := t.Context()
		actx, bctx, adm := as(ctx, alice), as(ctx, bob), as(ctx, admin)

		t.Run("create", func(t *testing.T) {
			before := time.Now().Add(-time.Second)
			c, err := res.Create(actx, &contact{Name: "Ann", Info: "ann@example.com", Rank: 2,
				ID: "x-mine", UID: "u-bob", IsAdmin: true, Status: "disabled", Version: 99, Secret: "s"})
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(c.ID, "x-"), c.ID)
			require.Len(t, c.ID, 18)
			require.Equal(t, "u-alice", c.UID)
			require.False(t, c.IsAdmin)
			require.Equal(t, StatusActive, c.Status)
			require.Equal(t, int64(1), c.Version)
			require.Equal(t, "member", c.Privacy)
			require.Empty(t, c.Secret)
			require.True(t, c.Created.After(before))

			got, err := res.Get(actx, c.ID)
			require.NoError(t, err)
			require.Equal(t, c.ID, got.ID)
			require.Equal(t, "Ann", got.Name)
			require.Equal(t, 2, got.Rank)
			require.True(t, c.Created.Equal(got.Created), "created %v != %v", c.Created, got.Created)
			require.Equal(t, `"1"`, res.ETag(got))
		})

		t.Run("create errors", func(t *testing.T) {
			_, err := res.Create(actx, &contact{Info: "no name"})
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "name", fe.Field)
			require.Equal(t, CodeRequired, fe.Code)
			require.ErrorIs(t, err, ErrInvalid)

			_, err = res.Create(actx, &contact{Name: "x", Label: ptr("bogus")})
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "label", fe.Field)

			_, err = res.Create(actx, &contact{Name: strings.Repeat("é", 65)})
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "name", fe.Field)

			_, err = res.Create(actx, &contact{Name: "nul\x00"})
			require.ErrorAs(t, err, &fe)

			_, err = res.Create(ctx, &contact{Name: "anon"})
			require.ErrorIs(t, err, ErrUnauthenticated)

			_, err = res.Create(actx, &contact{Name: "Ann"})
			require.ErrorIs(t, err, ErrConflict, "unique (uid, name)")

			_, err = res.Create(actx, &contact{Name: "in a foreign list", ListID: ptr("l-1")})
			require.ErrorIs(t, err, ErrForbidden)
			_, err = res.Create(bctx, &contact{Name: "in my list", ListID: ptr("l-1")})
			require.NoError(t, err)
		})

		t.Run("get is 404 when unreadable", func(t *testing.T) {
			priv, err := res.Create(actx, &contact{Name: "private", Privacy: "secret"})
			require.NoError(t, err)
			pub, err := res.Create(actx, &contact{Name: "public", Privacy: "public"})
			require.NoError(t, err)
			mem, err := res.Create(actx, &contact{Name: "member", Privacy: "member"})
			require.NoError(t, err)

			for _, id := range []string{priv.ID, mem.ID, "x-doesnotexist", "bad id'", ""} {
				_, err = res.Get(bctx, id)
				require.ErrorIs(t, err, ErrNotFound, id)
			}
			_, err = res.Get(bctx, pub.ID)
			require.NoError(t, err)
			_, err = res.Get(ctx, pub.ID)
			require.NoError(t, err, "anonymous reads public")
			_, err = res.Get(ctx, priv.ID)
			require.ErrorIs(t, err, ErrNotFound)
			_, err = res.Get(adm, priv.ID)
			require.NoError(t, err)
		})

		t.Run("update", func(t *testing.T) {
			c, err := res.Create(actx, &contact{Name: "Upd", Privacy: "public"})
			require.NoError(t, err)
			etag := res.ETag(c)

			got, err := res.Update(actx, c.ID, &contact{Info: "new", Rank: 7, Name: "ignored"}, "info", "rank")
			require.NoError(t, err)
			require.Equal(t, "new", got.Info)
			require.Equal(t, 7, got.Rank)
			require.Equal(t, "Upd", got.Name)
			require.Equal(t, int64(2), got.Version)
			require.NotNil(t, got.Modified)

			stored, err := res.Get(actx, c.ID)
			require.NoError(t, err)
			require.Equal(t, "new", stored.Info)
			require.Equal(t, int64(2), stored.Version)

			_, err = res.UpdateIfMatch(actx, c.ID, etag, &contact{Info: "stale"}, "info")
			require.ErrorIs(t, err, ErrPreconditionFailed)
			_, err = res.UpdateIfMatch(actx, c.ID, res.ETag(stored), &contact{Info: "fresh"}, "info")
			require.NoError(t, err)

			_, err = res.Update(bctx, c.ID, &contact{Info: "bob"}, "info")
			require.ErrorIs(t, err, ErrForbidden, "readable (public) but not writable")
			_, err = res.Update(ctx, c.ID, &contact{Info: "anon"}, "info")
			require.ErrorIs(t, err, ErrUnauthenticated)

			for _, f := range []string{"uid", "is_admin", "status", "created", "version", "id"} {
				_, err = res.Update(actx, c.ID, &contact{}, f)
				var fe *FieldError
				require.ErrorAs(t, err, &fe, f)
				require.Equal(t, CodeReadOnly, fe.Code)
			}
			_, err = res.Update(actx, c.ID, &contact{}, "secret")
			require.ErrorIs(t, err, ErrInvalid)

			priv, err := res.Create(actx, &contact{Name: "UpdPriv", Privacy: "secret"})
			require.NoError(t, err)
			_, err = res.Update(bctx, priv.ID, &contact{Info: "x"}, "info")
			require.ErrorIs(t, err, ErrNotFound, "not readable: 404, not 403")

			// Moving a record into a list the caller is not a member of.
			_, err = res.Update(actx, c.ID, &contact{ListID: ptr("l-1")}, "list_id")
			require.ErrorIs(t, err, ErrForbidden)
		})

		t.Run("delete", func(t *testing.T) {
			a, err := res.Create(actx, &contact{Name: "Del1", Privacy: "public"})
			require.NoError(t, err)
			b, err := res.Create(actx, &contact{Name: "Del2"})
			require.NoError(t, err)

			require.ErrorIs(t, res.Delete(bctx, false, a.ID), ErrForbidden)
			require.ErrorIs(t, res.Delete(bctx, false, b.ID), ErrNotFound)
			require.ErrorIs(t, res.Delete(actx, false, a.ID, "x-missing"), ErrNotFound)
			_, err = res.Get(actx, a.ID)
			require.NoError(t, err, "nothing deleted when one id fails")

			require.NoError(t, res.Delete(actx, false, a.ID, b.ID))
			_, err = res.Get(actx, a.ID)
			require.ErrorIs(t, err, ErrNotFound)
			require.ErrorIs(t, res.Delete(actx, false, a.ID), ErrNotFound, "already in the trash")

			var status string
			require.NoError(t, db.Get(&status, db.Rebind("SELECT status FROM contact WHERE id = ?"), a.ID))
			require.Equal(t, StatusDisabled, status)

			require.NoError(t, res.Delete(actx, true, a.ID))
			var n int
			require.NoError(t, db.Get(&n, db.Rebind("SELECT COUNT(*) FROM contact WHERE id = ?"), a.ID))
			require.Zero(t, n)
		})

		t.Run("find", func(t *testing.T) {
			page, err := res.Find(actx, Query{Filter: map[string]any{"name": "Upd"}, Count: CountExact})
			require.NoError(t, err)
			require.Len(t, page.Items, 1)
			require.Equal(t, int64(1), page.Count)

			page, err = res.Find(bctx, Query{Count: CountExact})
			require.NoError(t, err)
			for _, it := range page.Items {
				require.True(t, it.UID == "u-bob" || it.Privacy == "public" || (it.ListID != nil && *it.ListID == "l-1"), it)
			}
			require.Equal(t, int64(len(page.Items)), page.Count)
		})
	})
}

func TestNewResourceConfig(t *testing.T) {
	db := testenv.SQLiteDB(t)
	type noID struct {
		Name string `db:"name"`
	}
	type badWritable struct {
		ID  string `db:"id" json:"id"`
		UID string `db:"uid" json:"uid" crud:"writable"`
	}
	type hidden struct {
		ID   string `db:"id" json:"id"`
		Hash string `db:"hash" json:"-" crud:"writable"`
	}
	type badTag struct {
		ID string `db:"id" json:"id" crud:"bogus"`
	}
	type textVersion struct {
		ID      string `db:"id" json:"id"`
		Version string `db:"version" json:"version"`
	}
	cases := []struct {
		name string
		err  error
		fn   func() error
	}{
		{"no authorizer", ErrConfig, func() error { _, err := NewResource[contact](db, "contact"); return err }},
		{"bad name", ErrConfig, func() error {
			_, err := NewResource[contact](db, "Contact; DROP", WithAuthorizer(testAuth{}))
			return err
		}},
		{"bad table", ErrConfig, func() error {
			_, err := NewResource[contact](db, "contact", WithAuthorizer(testAuth{}), WithTable("a b"))
			return err
		}},
		{"no id", ErrConfig, func() error { _, err := NewResource[noID](db, "x", WithAuthorizer(testAuth{})); return err }},
		{"owner writable", ErrConfig, func() error {
			_, err := NewResource[badWritable](db, "x", WithAuthorizer(testAuth{}))
			return err
		}},
		{"hidden writable", ErrConfig, func() error { _, err := NewResource[hidden](db, "x", WithAuthorizer(testAuth{})); return err }},
		{"WithWritable is_admin? allowed only if not server-controlled", nil, func() error {
			_, err := NewResource[contact](db, "contact", WithAuthorizer(testAuth{}), WithWritable("name", "is_admin"))
			return err
		}},
		{"WithWritable status", ErrConfig, func() error {
			_, err := NewResource[contact](db, "contact", WithAuthorizer(testAuth{}), WithWritable("name", "status"))
			return err
		}},
		{"bad tag", ErrConfig, func() error { _, err := NewResource[badTag](db, "x", WithAuthorizer(testAuth{})); return err }},
		{"text version is no version", nil, func() error {
			r, err := NewResource[textVersion](db, "x", WithAuthorizer(testAuth{}))
			if err == nil && r.m.role(roleVersion) != nil {
				return errors.New("text column taken as version")
			}
			return err
		}},
		{"short cursor key", ErrConfig, func() error {
			_, err := NewResource[contact](db, "contact", WithAuthorizer(testAuth{}), WithCursorKey([]byte("short")))
			return err
		}},
		{"limit without owner", ErrConfig, func() error {
			_, err := NewResource[textVersion](db, "x", WithAuthorizer(testAuth{}), WithOwnerLimit("xs", fixedLimits(1)))
			return err
		}},
		{"unknown sortable", ErrConfig, func() error {
			_, err := NewResource[contact](db, "contact", WithAuthorizer(testAuth{}), WithSortable("secret"))
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.fn()
			if c.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, c.err)
		})
	}
}

type fixedLimits int64

func (l fixedLimits) Limit(ctx context.Context, name, uid string) (int64, error) {
	if l < 0 {
		return 0, fmt.Errorf("grants unavailable")
	}
	return int64(l), nil
}

var _ Limits = fixedLimits(0)

func TestOpString(t *testing.T) {
	require.Equal(t, "get|list", ReadOnly.String())
	require.Equal(t, "create|get|update|delete|list", ReadWrite.String())
	require.Equal(t, "none", Op(0).String())
}
