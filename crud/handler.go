package crud

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/apicrud-go/apicrud/problem"
)

// HTTP-only errors.
var (
	errTooLarge    = errors.New("crud: request body too large")
	errContentType = errors.New("crud: unsupported content type")
)

const (
	exposedHeaders  = "Content-Range, X-Total-Count, ETag, Preference-Applied"
	jsonContentType = "application/json"
)

func errInvalidJSON() error {
	return &FieldError{Field: "body", Code: CodeInvalidJSON, Reason: "the body must be a JSON object"}
}

// Routes registers the resource's operations on mux with Go 1.22 patterns
// under prefix ("" or a path such as "/api/v1"):
//
//	POST   {prefix}/{name}        create   → 201 {"id": ...}
//	GET    {prefix}/{name}        list     → 200 {"items", "count", "cursor_next"}
//	GET    {prefix}/{name}/{id}   get      → 200 record, ETag
//	PUT    {prefix}/{name}/{id}   update   → 200 record, ETag (If-Match → 412)
//	DELETE {prefix}/{name}/{id}   delete   → 204 (id may list ids: a,b,c; ?force=true purges), or 200 with
//	                                          the deleted record(s) for clients that ask (react-admin)
//
// Only the operations the resource serves are registered. Like
// http.ServeMux.Handle, it panics when a pattern conflicts with one already
// registered (a setup error).
func (r *Resource[T]) Routes(mux *http.ServeMux, prefix string) {
	base := strings.TrimSuffix(prefix, "/") + "/" + r.name
	if r.ops&OpCreate != 0 {
		handle(mux, "POST "+base, r.serveCreate)
	}
	if r.ops&OpList != 0 {
		handle(mux, "GET "+base, r.serveList)
	}
	if r.ops&OpGet != 0 {
		handle(mux, "GET "+base+"/{id}", r.serveGet)
	}
	if r.ops&OpUpdate != 0 {
		handle(mux, "PUT "+base+"/{id}", r.serveUpdate)
	}
	if r.ops&OpDelete != 0 {
		handle(mux, "DELETE "+base+"/{id}", r.serveDelete)
	}
}

func (r *Resource[T]) serveCreate(w http.ResponseWriter, req *http.Request) {
	body, err := readBody(w, req, r.maxBody)
	if err != nil {
		writeError(w, err)
		return
	}
	rec := new(T)
	present, _, err := r.decodeBody(body, rec, false)
	if err != nil {
		writeError(w, err)
		return
	}
	rec, err = r.create(req.Context(), rec, present)
	if err != nil {
		writeError(w, err)
		return
	}
	r.outage.ok(req.Context(), r.name)
	id := r.ID(rec)
	h := w.Header()
	h.Set("Location", strings.TrimSuffix(req.URL.Path, "/")+"/"+id)
	if et := r.ETag(rec); et != "" {
		h.Set("ETag", et)
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func (r *Resource[T]) serveGet(w http.ResponseWriter, req *http.Request) {
	var actions bool
	switch v := req.URL.Query().Get("actions"); v {
	case "", "false", "0":
	case "true", "1":
		if r.m.byJSON[actionsField] != nil {
			writeError(w, fieldErr("actions", CodeBadFilter, "the records have a field named "+actionsField))
			return
		}
		actions = true
	default:
		writeError(w, fieldErr("actions", CodeBadFilter, "must be true or false"))
		return
	}
	names, err := parseExpandParam(req.URL.Query().Get("expand"))
	if err != nil {
		writeError(w, err)
		return
	}
	rec, ex, err := r.GetExpanded(req.Context(), req.PathValue("id"), names...)
	if err != nil {
		writeError(w, err)
		return
	}
	r.outage.ok(req.Context(), r.name)
	if et := r.ETag(rec); et != "" {
		w.Header().Set("ETag", et)
	}
	if !actions && ex == nil {
		writeJSON(w, http.StatusOK, rec)
		return
	}
	var a *string
	if actions {
		s, aerr := r.Actions(req.Context(), rec)
		a, err = &s, aerr
	}
	var body json.RawMessage
	if err == nil {
		body, err = withMembers(rec, a, ex)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// redacted runs the AfterGet hook on a record a write returns, as Get
// does on a record it reads, so that a client never sees in a write's
// answer what a read would have redacted. The write has committed: when
// the hook fails (it is logged), the handler answers 204 without the
// record rather than an error.
func (r *Resource[T]) redacted(ctx context.Context, rec *T) bool {
	h := r.hooks.AfterGet
	if h == nil {
		return true
	}
	if err := h(ctx, rec); err != nil {
		r.log.ErrorContext(ctx, "crud: AfterGet on a written record", "resource", r.name, "err", err)
		return false
	}
	return true
}

func (r *Resource[T]) serveUpdate(w http.ResponseWriter, req *http.Request) {
	body, err := readBody(w, req, r.maxBody)
	if err != nil {
		writeError(w, err)
		return
	}
	changes := new(T)
	present, echoed, err := r.decodeBody(body, changes, true)
	if err != nil {
		writeError(w, err)
		return
	}
	patch := make(map[*field]reflect.Value, len(present))
	for f := range present {
		patch[f] = fieldOf(changes, f)
	}
	cond := parseIfMatch(req.Header.Get("If-Match"))
	id := req.PathValue("id")
	var rec *T
	if len(echoed) > 0 {
		rec, err = r.updateEchoed(req.Context(), id, cond, patch, echoed)
	} else {
		rec, err = r.update(req.Context(), id, cond, patch)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	r.outage.ok(req.Context(), r.name)
	if et := r.ETag(rec); et != "" {
		w.Header().Set("ETag", et)
	}
	if !r.redacted(req.Context(), rec) {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// updateEchoed is update for a body that also carries read-only fields, as
// clients such as react-admin send back the whole record they read. Each
// echoed field must equal the stored value (else 400 read_only); an echoed
// version that differs is a stale write (412).
func (r *Resource[T]) updateEchoed(ctx context.Context, id string, cond precondition, patch, echoed map[*field]reflect.Value) (*T, error) {
	if err := r.checkOp(ctx, OpUpdate); err != nil {
		return nil, err
	}
	old, err := r.loadOne(ctx, r.db, id, true)
	if err != nil {
		return nil, err
	}
	if !r.allowed(ctx, ActionRead, old, r.attrs(old)) {
		return nil, ErrNotFound
	}
	if vf := r.m.role(roleVersion); vf != nil {
		if v, ok := echoed[vf]; ok && !equalValue(fieldOf(old, vf), v) {
			return nil, ErrPreconditionFailed
		}
	}
	for f, v := range echoed {
		if equalValue(fieldOf(old, f), v) {
			continue
		}
		if f.role == roleID {
			return nil, fieldErr(f.name(), CodeReadOnly, "does not match the record")
		}
		return nil, fieldErr(f.name(), CodeReadOnly, "is read-only")
	}
	if vf := r.m.role(roleVersion); vf != nil {
		if v, ok := echoed[vf]; ok && !cond.set {
			// The echoed version is the precondition, checked atomically.
			cond = precondition{set: true, versions: []int64{versionOf(v)}}
		}
	}
	return r.update(ctx, id, cond, patch)
}

func (r *Resource[T]) serveDelete(w http.ResponseWriter, req *http.Request) {
	force, err := parseBool(req.URL.Query().Get("force"))
	if err != nil {
		writeError(w, fieldErr("force", CodeInvalidValue, "must be true or false"))
		return
	}
	ids := strings.Split(req.PathValue("id"), ",")
	recs, err := r.deleteRecords(req.Context(), force, ids)
	if err != nil {
		writeError(w, err)
		return
	}
	r.outage.ok(req.Context(), r.name)
	redacted := true
	for _, rec := range recs {
		redacted = redacted && r.redacted(req.Context(), rec)
	}
	if !wantsRepresentation(req) || !redacted {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if len(ids) == 1 {
		writeJSON(w, http.StatusOK, recs[0])
		return
	}
	writeJSON(w, http.StatusOK, recs)
}

// wantsRepresentation reports whether the client of a DELETE asked for the
// deleted record back: with Prefer: return=representation, or by naming
// application/json in Accept, as react-admin's data providers do (a bare
// */* or no Accept gets 204).
func wantsRepresentation(req *http.Request) bool {
	for _, h := range req.Header.Values("Prefer") {
		for _, p := range strings.Split(h, ",") {
			if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(p), " ", ""), "return=representation") {
				return true
			}
		}
	}
	for _, h := range req.Header.Values("Accept") {
		for _, p := range strings.Split(h, ",") {
			mt, _, _ := strings.Cut(p, ";")
			if strings.EqualFold(strings.TrimSpace(mt), jsonContentType) {
				return true
			}
		}
	}
	return false
}

func (r *Resource[T]) serveList(w http.ResponseWriter, req *http.Request) {
	vals := req.URL.Query()
	q, ranged, err := r.queryFromValues(vals.Get)
	if err != nil {
		writeError(w, err)
		return
	}
	if isGetMany(vals, q) {
		// react-admin's getMany: the records of a list of ids, as an array.
		q.Limit, ranged = r.pageMax, true
	}
	// Pages by range or offset are counted unless the client prefers
	// otherwise (react-admin needs the total); keyset pages only on request.
	mode, asked := parseCountPreference(req.Header.Values("Prefer"))
	if !asked && (ranged || vals.Get("offset") != "") {
		mode = CountExact
	}
	q.Count = mode
	page, err := r.Find(req.Context(), q)
	if err != nil {
		writeError(w, err)
		return
	}
	r.outage.ok(req.Context(), r.name)
	if asked {
		w.Header().Set("Preference-Applied", "count="+page.Counted.String())
	}
	setListHeaders(w, r.name, page.Start, len(page.Items), page.Count, page.Counted != CountNone)
	if ranged && (page.Actions != nil || page.Expanded != nil) {
		items, err := actionsItems(page)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, items)
		return
	}
	if ranged {
		writeJSON(w, http.StatusOK, page.Items)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// isGetMany reports a request for the records of a list of ids and nothing
// else (GET ?filter={"id":[...]}), which react-admin's getMany sends and
// answers with an array.
func isGetMany(vals url.Values, q Query) bool {
	if len(vals) != 1 || len(q.Filter) != 1 {
		return false
	}
	ids, ok := q.Filter["id"].([]any)
	return ok && len(ids) > 0
}

// setListHeaders sets react-admin's Content-Range and X-Total-Count and
// exposes them to cross-origin callers. Without a count, the total is "*"
// and X-Total-Count is left out.
func setListHeaders(w http.ResponseWriter, name string, start int64, n int, total int64, counted bool) {
	h := w.Header()
	tot := "*"
	if counted {
		tot = strconv.FormatInt(total, 10)
		h.Set("X-Total-Count", tot)
	}
	if n == 0 {
		h.Set("Content-Range", name+" */"+tot)
	} else {
		h.Set("Content-Range", name+" "+strconv.FormatInt(start, 10)+"-"+strconv.FormatInt(start+int64(n)-1, 10)+"/"+tot)
	}
	exposeHeaders(h)
}

func exposeHeaders(h http.Header) {
	for _, v := range h.Values("Access-Control-Expose-Headers") {
		if strings.Contains(v, "Content-Range") {
			return
		}
	}
	h.Add("Access-Control-Expose-Headers", exposedHeaders)
}

// decodeBody decodes a JSON object into rec. It returns the writable
// fields present and, when allowEcho is set, the read-only fields present
// (decoded), which the caller checks against the stored record.
func (r *Resource[T]) decodeBody(body map[string]json.RawMessage, rec *T, allowEcho bool) (map[*field]bool, map[*field]reflect.Value, error) {
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	present := make(map[*field]bool, len(keys))
	var echoed map[*field]reflect.Value
	for _, k := range keys {
		f := r.m.byJSON[k]
		if f == nil {
			return nil, nil, fieldErr(k, CodeUnknownField, "unknown field")
		}
		if !f.writable {
			if !allowEcho {
				return nil, nil, fieldErr(k, CodeReadOnly, "is read-only")
			}
			v, err := f.decodeValue(k, body[k], nil)
			if err != nil {
				return nil, nil, fieldErr(k, CodeReadOnly, "is read-only")
			}
			if echoed == nil {
				echoed = make(map[*field]reflect.Value)
			}
			echoed[f] = v
			continue
		}
		v, err := f.decodeValue(k, body[k], r.privacy)
		if err != nil {
			return nil, nil, err
		}
		fieldOf(rec, f).Set(v)
		present[f] = true
	}
	if !allowEcho && echoed != nil {
		return nil, nil, errInvalidJSON()
	}
	return present, echoed, nil
}

// readBody checks the content type and size of a JSON request body and
// parses it as an object.
func readBody(w http.ResponseWriter, req *http.Request, max int64) (map[string]json.RawMessage, error) {
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || !(mt == jsonContentType || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil, errContentType
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, req.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge
		}
		return nil, errInvalidJSON()
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(b, &body); err != nil || body == nil {
		return nil, errInvalidJSON()
	}
	return body, nil
}

func parseBool(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	return strconv.ParseBool(s)
}

// writeJSON sends v with status. Responses of crud depend on the caller,
// so they are never stored by caches.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		problem.Write(w, problem.Problem{Status: http.StatusInternalServerError, Code: CodeInternal})
		return
	}
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError maps an error to a problem+json response. Internal errors are
// logged (by the operation that saw them) and shown as a bare 500.
func writeError(w http.ResponseWriter, err error) {
	problem.Write(w, problemFor(w, err))
}

// problemFor maps errors to problems; it sets WWW-Authenticate on 401.
func problemFor(w http.ResponseWriter, err error) problem.Problem {
	var fe *FieldError
	var se *StatusError
	var sc *ScopeError
	switch {
	case errors.As(err, &fe):
		return problem.Problem{Status: http.StatusBadRequest, Detail: fe.Reason, Field: fe.Field, Code: fe.Code}
	case errors.As(err, &se):
		st := se.Status
		if st < 400 || st > 599 {
			st = http.StatusInternalServerError
		}
		return problem.Problem{Status: st, Detail: se.Detail, Field: se.Field, Code: se.Code}
	case errors.Is(err, errTooLarge):
		return problem.Problem{Status: http.StatusRequestEntityTooLarge, Detail: "the request body is too large", Code: CodeTooLarge}
	case errors.Is(err, errContentType):
		return problem.Problem{Status: http.StatusUnsupportedMediaType, Detail: "the body must be application/json", Code: CodeUnsupportedMedia}
	case errors.Is(err, ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		return problem.Problem{Status: http.StatusUnauthorized, Detail: "authentication is required", Code: CodeUnauthenticated}
	case errors.Is(err, errRelatedLimit):
		return problem.Problem{Status: http.StatusForbidden, Detail: "the record is linked to as many records as allowed", Code: CodeLimitExceeded}
	case errors.Is(err, ErrLimitExceeded):
		return problem.Problem{Status: http.StatusForbidden, Detail: "the record limit of the account is reached", Code: CodeLimitExceeded}
	case errors.As(err, &sc):
		w.Header().Set("WWW-Authenticate", problem.InsufficientScope(sc.Scopes))
		return problem.Problem{Status: http.StatusForbidden, Detail: "access denied", Code: CodeForbidden}
	case errors.Is(err, ErrForbidden):
		return problem.Problem{Status: http.StatusForbidden, Detail: "access denied", Code: CodeForbidden}
	case errors.Is(err, ErrNotFound):
		return problem.Problem{Status: http.StatusNotFound, Detail: "not found", Code: CodeNotFound}
	case errors.Is(err, ErrConflict):
		return problem.Problem{Status: http.StatusConflict, Detail: "conflict with an existing record", Code: CodeConflict}
	case errors.Is(err, ErrPreconditionFailed):
		return problem.Problem{Status: http.StatusPreconditionFailed, Detail: "the record has changed", Code: CodePrecondition}
	case errors.Is(err, ErrInvalid):
		return problem.Problem{Status: http.StatusBadRequest, Detail: "invalid input", Code: CodeInvalidValue}
	case errors.Is(err, ErrUnavailable):
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterUnavailable))
		return problem.Problem{Status: http.StatusServiceUnavailable, Detail: "the database is unavailable; try again later", Code: CodeUnavailable}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return problem.Problem{Status: http.StatusServiceUnavailable, Detail: "the request was cancelled", Code: CodeInternal}
	}
	return problem.Problem{Status: http.StatusInternalServerError, Code: CodeInternal}
}
