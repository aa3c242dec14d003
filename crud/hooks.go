package crud

import (
	"context"
	"strconv"

	"github.com/jmoiron/sqlx"
)

// Hooks are functions a resource runs around its operations, for the
// special cases that generic CRUD does not cover (apicrud's update_contact,
// the message controller's list row, ...). Every field is optional.
//
// Before hooks run after the operation and scope checks (and, for update
// and delete, after the stored record was authorized) and before the
// transaction starts; they may change the record (server code is trusted:
// a hook may set fields clients cannot write, such as status), and crud
// then authorizes the final attributes. After hooks run
// inside the transaction of the write, after the main statement: use tx for
// related rows, and return an error to roll everything back. A hook error
// that is a *StatusError, a *FieldError or one of the sentinel errors is
// reported to the client as such; any other error is a 500 whose text is
// only logged. Committed runs after the transaction, when nothing can be
// rolled back any more.
type Hooks[T any] struct {
	// BeforeCreate may fill or check the new record (id, owner, created
	// and status are already set).
	BeforeCreate func(ctx context.Context, rec *T) error
	// AfterCreate runs after the INSERT, in its transaction.
	AfterCreate func(ctx context.Context, tx *sqlx.Tx, rec *T) error
	// AfterGet may redact the record before it is returned: by Get, and
	// over HTTP in the answer of a PUT or of a DELETE that asks for the
	// record back (answered 204 without it when AfterGet fails there).
	AfterGet func(ctx context.Context, rec *T) error
	// BeforeUpdate sees the stored record (old) and the record with the
	// client's changes applied (rec), which it may change further.
	BeforeUpdate func(ctx context.Context, old, rec *T) error
	// AfterUpdate runs after the UPDATE, in its transaction.
	AfterUpdate func(ctx context.Context, tx *sqlx.Tx, old, rec *T) error
	// BeforeDelete runs once per record about to be deleted.
	BeforeDelete func(ctx context.Context, rec *T, force bool) error
	// AfterDelete runs once per record, after its UPDATE (soft delete) or
	// DELETE (force), in the transaction that covers all ids.
	AfterDelete func(ctx context.Context, tx *sqlx.Tx, rec *T, force bool) error
	// BeforeList may check or adjust the query of a list.
	BeforeList func(ctx context.Context, q *Query) error
	// AfterList may redact the items of a page.
	AfterList func(ctx context.Context, page *Page[T]) error
	// Committed runs after a write has committed, with what it did and
	// the ids it wrote. It is the place for effects that must see the
	// committed state, such as refreshing the sessions whose roles a record
	// defines. The write has happened whatever the hook does, so it returns
	// nothing; it runs with ctx detached from the request's cancellation.
	Committed func(ctx context.Context, change Change, ids ...string)
}

// Change is what a committed write did (see Hooks.Committed).
type Change uint8

// Changes reported to Hooks.Committed.
const (
	ChangeCreated  Change = iota + 1 // Create
	ChangeUpdated                    // Update, UpdateIfMatch
	ChangeDeleted                    // a soft Delete: the record is in the trashcan
	ChangeRestored                   // a trashcan restore: the record is active again
	ChangePurged                     // a forced Delete or a trashcan purge: the row is gone
)

// String returns the change's name ("created", "updated", …).
func (c Change) String() string {
	switch c {
	case ChangeCreated:
		return "created"
	case ChangeUpdated:
		return "updated"
	case ChangeDeleted:
		return "deleted"
	case ChangeRestored:
		return "restored"
	case ChangePurged:
		return "purged"
	}
	return "Change(" + strconv.Itoa(int(c)) + ")"
}
