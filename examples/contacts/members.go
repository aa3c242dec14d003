package main

import (
	"database/sql"
	"errors"
	"net/http"
	"slices"
	"time"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/crud"
	"github.com/apicrud-go/apicrud/grants"
	"github.com/apicrud-go/apicrud/session/login"
)

// member is one row of a list's membership.
type member struct {
	UID     string    `db:"uid" json:"uid"`
	Level   string    `db:"level" json:"level"`
	Created time.Time `db:"created" json:"created"`
}

// memberList finds list {id} and checks that the caller may perform
// action on it; a list the caller cannot read is a 404.
func (a *app) memberList(w http.ResponseWriter, r *http.Request, action byte) (*List, bool) {
	p, ok := caller(w, r)
	if !ok {
		return nil, false
	}
	l, err := a.res.list.Get(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, crud.ErrNotFound), errors.Is(err, crud.ErrInvalid):
		writeProblem(w, http.StatusNotFound, "crud.not_found", "")
		return nil, false
	case err != nil:
		a.log.ErrorContext(r.Context(), "members", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return nil, false
	}
	rec := ac.Record{ID: l.ID, Owner: l.UID, Privacy: l.Privacy}
	if !a.policy.AllowedFor(p, action, "list", rec) {
		writeProblem(w, http.StatusForbidden, ac.CodeForbidden, "")
		return nil, false
	}
	return l, true
}

// listMembers is GET /list/{id}/member.
func (a *app) listMembers(w http.ResponseWriter, r *http.Request) {
	l, ok := a.memberList(w, r, 'r')
	if !ok {
		return
	}
	var items []member
	if err := a.db.SelectContext(r.Context(), &items, a.db.Rebind("SELECT uid, level, created FROM listmember WHERE list_id = ? ORDER BY uid"), l.ID); err != nil {
		a.log.ErrorContext(r.Context(), "members", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return
	}
	if items == nil {
		items = []member{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "count": len(items)})
}

// putMember is PUT /list/{id}/member/{uid} {level}: the caller must host
// the list ('h': its owner or a manager). The member's live sessions get
// the new roles at once. The list's size is capped by the grant
// "list_size" of its owner.
func (a *app) putMember(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Level string `json:"level"`
	}
	if _, ok := a.writer(w, r); !ok {
		return
	}
	l, ok := a.memberList(w, r, 'h')
	if !ok || !readJSON(w, r, &in) {
		return
	}
	if !slices.Contains(memberLevels, in.Level) {
		writeProblemField(w, http.StatusBadRequest, "contacts.bad_level", "level", "must be invitee, member or manager")
		return
	}
	uid := r.PathValue("uid")
	ctx := r.Context()
	if _, ok, err := a.accounts.Get(ctx, uid); err != nil || !ok {
		if err != nil {
			a.internalError(w, r, "members", err)
			return
		}
		writeProblemField(w, http.StatusBadRequest, "contacts.unknown_account", "uid", "no such account")
		return
	}
	limit, err := a.grants.Limit(ctx, "list_size", l.UID)
	switch {
	case errors.Is(err, grants.ErrUnknownGrant):
		limit = -1 // no such grant configured: no cap
	case err != nil:
		a.internalError(w, r, "grants", err)
		return
	}
	tx, err := a.db.BeginTxx(ctx, nil)
	if err == nil {
		defer func() { _ = tx.Rollback() }()
		// Write first, to the list's own row: it serializes the adds to one
		// list on every dialect (the count below cannot be raced past), it
		// checks again that the list is active, and on SQLite a transaction
		// that starts with a write waits for other writers (busy_timeout)
		// instead of failing with SQLITE_BUSY.
		var res sql.Result
		res, err = tx.ExecContext(ctx, tx.Rebind("UPDATE list SET version = version WHERE id = ? AND status = 'active'"), l.ID)
		var rows int64
		if err == nil {
			rows, err = res.RowsAffected()
		}
		if err == nil && rows == 0 && a.dialect != dialectMySQL { // MySQL counts changed rows only
			writeProblem(w, http.StatusNotFound, "crud.not_found", "")
			return
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, tx.Rebind("DELETE FROM listmember WHERE list_id = ? AND uid = ?"), l.ID, uid)
		}
		var n int64
		if err == nil {
			err = tx.GetContext(ctx, &n, tx.Rebind("SELECT COUNT(*) FROM listmember WHERE list_id = ?"), l.ID)
		}
		if err == nil && limit >= 0 && n >= limit {
			writeProblem(w, http.StatusForbidden, "crud.limit_exceeded", "the list has as many members as its owner's grant allows")
			return
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, tx.Rebind("INSERT INTO listmember (list_id, uid, level, created) VALUES (?, ?, ?, ?)"),
				l.ID, uid, in.Level, time.Now().UTC().Truncate(time.Microsecond))
		}
		if err == nil {
			err = tx.Commit()
		}
	}
	if err != nil {
		a.internalError(w, r, "members", err)
		return
	}
	if err := a.logins.RefreshRoles(ctx, uid); err != nil {
		login.WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteMember is DELETE /list/{id}/member/{uid}: by a host of the list,
// or by the member leaving.
func (a *app) deleteMember(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	p, ok := a.writer(w, r)
	if !ok {
		return
	}
	action := byte('h')
	if uid == p.UID() {
		action = 'r'
	}
	l, ok := a.memberList(w, r, action)
	if !ok {
		return
	}
	res, err := a.db.ExecContext(r.Context(), a.db.Rebind("DELETE FROM listmember WHERE list_id = ? AND uid = ?"), l.ID, uid)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err == nil && n == 0 {
		writeProblem(w, http.StatusNotFound, "crud.not_found", "")
		return
	}
	if err != nil {
		a.internalError(w, r, "members", err)
		return
	}
	if err := a.logins.RefreshRoles(r.Context(), uid); err != nil {
		login.WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listGrants is GET /grant: the caller's effective grants (an admin may
// ask for another account's with ?uid=).
func (a *app) listGrants(w http.ResponseWriter, r *http.Request) {
	p, ok := caller(w, r)
	if !ok {
		return
	}
	uid := p.UID()
	if q := r.URL.Query().Get("uid"); q != "" && q != uid {
		if !a.policy.AllowedFor(p, 'r', "grant", ac.Record{Owner: q}) {
			writeProblem(w, http.StatusForbidden, ac.CodeForbidden, "")
			return
		}
		uid = q
	}
	list, err := a.grants.List(r.Context(), uid)
	if err != nil {
		a.log.ErrorContext(r.Context(), "grants", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list, "count": len(list)})
}

// getGrant is GET /grant/{uid}:{name}. Another account's grant is a 404
// unless the caller is an admin.
func (a *app) getGrant(w http.ResponseWriter, r *http.Request) {
	p, ok := caller(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	uid, _, err := grants.ParseID(id)
	if err != nil || !a.policy.AllowedFor(p, 'r', "grant", ac.Record{ID: id, Owner: uid}) {
		writeProblem(w, http.StatusNotFound, "crud.not_found", "")
		return
	}
	g, err := a.grants.Lookup(r.Context(), id)
	switch {
	case errors.Is(err, grants.ErrUnknownGrant):
		writeProblem(w, http.StatusNotFound, "crud.not_found", "")
	case err != nil:
		a.log.ErrorContext(r.Context(), "grants", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
	default:
		writeJSON(w, http.StatusOK, g)
	}
}

// putGrant is PUT /grant/{uid}:{name} {value, expires?}: an admin sets an
// account's override (a paid plan, a lower rate limit).
func (a *app) putGrant(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Value   string    `json:"value"`
		Expires time.Time `json:"expires"`
	}
	if !a.grantWriter(w, r) || !readJSON(w, r, &in) {
		return
	}
	uid, name, err := grants.ParseID(r.PathValue("id"))
	if err != nil {
		writeProblem(w, http.StatusNotFound, "crud.not_found", "")
		return
	}
	err = a.grants.Set(r.Context(), uid, name, in.Value, in.Expires)
	switch {
	case errors.Is(err, grants.ErrUnknownGrant):
		writeProblem(w, http.StatusNotFound, "crud.not_found", "")
	case errors.Is(err, grants.ErrBadValue), errors.Is(err, grants.ErrBadUID):
		writeProblemField(w, http.StatusBadRequest, "contacts.bad_grant_value", "value", "invalid grant value")
	case err != nil:
		a.log.ErrorContext(r.Context(), "grants", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// deleteGrant is DELETE /grant/{uid}:{name}: back to the default (admins).
func (a *app) deleteGrant(w http.ResponseWriter, r *http.Request) {
	if !a.grantWriter(w, r) {
		return
	}
	uid, name, err := grants.ParseID(r.PathValue("id"))
	if err == nil {
		err = a.grants.Delete(r.Context(), uid, name)
	}
	switch {
	case errors.Is(err, grants.ErrBadID), errors.Is(err, grants.ErrUnknownGrant):
		writeProblem(w, http.StatusNotFound, "crud.not_found", "")
	case err != nil:
		a.log.ErrorContext(r.Context(), "grants", "err", err)
		writeProblem(w, http.StatusInternalServerError, "http.500", "")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// grantWriter checks that the caller may change grant {id}: the policy's
// 'u' on the grant (admins), with the "full" scope.
func (a *app) grantWriter(w http.ResponseWriter, r *http.Request) bool {
	p, ok := a.writer(w, r)
	if !ok {
		return false
	}
	uid, _, err := grants.ParseID(r.PathValue("id"))
	if err != nil || !a.policy.AllowedFor(p, 'u', "grant", ac.Record{ID: r.PathValue("id"), Owner: uid}) {
		writeProblem(w, http.StatusForbidden, ac.CodeForbidden, "")
		return false
	}
	return true
}
