package crud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// actionsField is the JSON member that carries a record's actions when a
// request asks for them (?actions=true): the letters of what the caller
// may do with it, as apicrud's "rbac" string.
const actionsField = "rbac"

// actionSet decides, for one request, which of update and delete the
// caller may perform on a record. It asks the Authorizer in process, as an
// Update or Delete would before writing; a scope check that needs the
// database (WithScopeResource) runs at most once per scope value.
type actionSet[T any] struct {
	r              *Resource[T]
	update, delete bool // the resource serves them and the caller has their scopes
	scopes         map[string]bool
}

func (r *Resource[T]) newActionSet(ctx context.Context) *actionSet[T] {
	return &actionSet[T]{r: r, update: r.checkOp(ctx, OpUpdate) == nil, delete: r.checkOp(ctx, OpDelete) == nil,
		scopes: map[string]bool{}}
}

// of returns the actions the caller has on rec, which it may read: "r",
// with "d" and "u" when allowed, in alphabetical order ("dru").
func (s *actionSet[T]) of(ctx context.Context, rec *T) (string, error) {
	a := s.r.attrs(rec)
	u := s.update && s.r.allowed(ctx, ActionUpdate, rec, a)
	d := s.delete && s.r.allowed(ctx, ActionDelete, rec, a)
	var err error
	if u {
		u, err = s.inScope(ctx, ActionUpdate, a)
	}
	if d && err == nil {
		d, err = s.inScope(ctx, ActionDelete, a)
	}
	if err != nil {
		return "", err
	}
	out := make([]byte, 0, 3)
	if d {
		out = append(out, 'd')
	}
	out = append(out, 'r')
	if u {
		out = append(out, 'u')
	}
	return string(out), nil
}

// inScope is checkScope, remembered per action and scope value.
func (s *actionSet[T]) inScope(ctx context.Context, action byte, a map[string]string) (bool, error) {
	if s.r.memberAttr == "" || a[s.r.memberAttr] == "" {
		return true, nil
	}
	key := string(action) + a[s.r.memberAttr]
	if ok, seen := s.scopes[key]; seen {
		return ok, nil
	}
	err := s.r.checkScope(ctx, action, a)
	switch err {
	case nil:
		s.scopes[key] = true
		return true, nil
	case ErrForbidden, ErrUnauthenticated:
		s.scopes[key] = false
		return false, nil
	}
	return false, err
}

// Actions returns the actions the caller in ctx has on rec, a record it
// may read (as Get or Find returned it): "r", with "d" (delete) and "u"
// (update) when an Update or Delete of it would be allowed, in
// alphabetical order, as apicrud's rbac string ("dru"). A condition that
// only the database knows (an If-Match, a unique value) is not part of it.
func (r *Resource[T]) Actions(ctx context.Context, rec *T) (string, error) {
	if rec == nil {
		return "", fmt.Errorf("%w: nil record", ErrInvalid)
	}
	return r.newActionSet(ctx).of(ctx, rec)
}

// pageActions sets page.Actions, one string per item.
func (r *Resource[T]) pageActions(ctx context.Context, page *Page[T]) error {
	s := r.newActionSet(ctx)
	page.Actions = make([]string, len(page.Items))
	for i := range page.Items {
		a, err := s.of(ctx, &page.Items[i])
		if err != nil {
			return err
		}
		page.Actions[i] = a
	}
	return nil
}

// withActions returns the JSON object of rec with the member "rbac" set to
// actions.
func withActions(rec any, actions string) (json.RawMessage, error) {
	return withMembers(rec, &actions, nil)
}

// withMembers returns the JSON object of rec with the member "rbac" set to
// *actions (when not nil) and a member per expansion of ex. The names
// cannot clash with the record's own: NewResource refuses expansions named
// like a field, and ?actions=true a record with an "rbac" field.
func withMembers(rec any, actions *string, ex Expanded) (json.RawMessage, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("crud: a record is not a JSON object")
	}
	out := make([]byte, 0, len(b)+32*(len(ex)+1))
	out = append(out, '{')
	if actions != nil {
		a, _ := json.Marshal(*actions)
		out = append(out, `"`+actionsField+`":`...)
		out = append(out, a...)
		out = append(out, ',')
	}
	for _, k := range slices.Sorted(maps.Keys(ex)) {
		v, _ := json.Marshal(ex[k]) // a *string: the text or null
		out = append(out, '"')
		out = append(out, k...) // a validated name: [a-z][a-z0-9_]*
		out = append(out, `":`...)
		out = append(out, v...)
		out = append(out, ',')
	}
	if len(b) == 2 { // an empty record: drop the last comma, if any
		out = bytes.TrimSuffix(out, []byte(","))
		return append(out, '}'), nil
	}
	return append(out, b[1:]...), nil
}

// actionsItems returns the page's items, each with its actions and
// expansions when the query asked for them.
func actionsItems[T any](page *Page[T]) ([]json.RawMessage, error) {
	if page.Actions != nil && len(page.Actions) != len(page.Items) || page.Expanded != nil && len(page.Expanded) != len(page.Items) {
		return nil, fmt.Errorf("crud: a page's actions or expansions do not match its items")
	}
	items := make([]json.RawMessage, len(page.Items))
	for i := range page.Items {
		var a *string
		if page.Actions != nil {
			a = &page.Actions[i]
		}
		var ex Expanded
		if page.Expanded != nil {
			ex = page.Expanded[i]
		}
		b, err := withMembers(&page.Items[i], a, ex)
		if err != nil {
			return nil, err
		}
		items[i] = b
	}
	return items, nil
}
