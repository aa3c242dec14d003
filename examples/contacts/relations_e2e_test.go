package main

import (
	"net/http"
	"slices"
	"testing"
)

// testRelations: a contact in several lists and a message to several
// lists, linked only to lists the caller may read; ?expand shows the
// names of a record's owner and a list's category.
func testRelations(t *testing.T, in *instance) {
	rita, sam := in.newUser(t, "rita"), in.newUser(t, "sam")
	l1 := rita.create(t, "list", map[string]any{"name": "friends-" + randomText(6), "privacy": "secret"})
	l2 := rita.create(t, "list", map[string]any{"name": "work-" + randomText(6), "privacy": "secret"})
	theirs := sam.create(t, "list", map[string]any{"name": "sams-" + randomText(6), "privacy": "secret"})

	c := rita.create(t, "contact", map[string]any{"info": "rita@example.com", "privacy": "secret", "lists": []string{l2, l1}})
	got := decode[Contact](t, rita.get(t, "/contact/"+c).want(t, http.StatusOK))
	want := []string{l1, l2}
	slices.Sort(want)
	if !slices.Equal(got.Lists, want) {
		t.Errorf("contact lists = %v, want %v", got.Lists, want)
	}
	p := rita.post(t, "/contact", map[string]any{"info": "x@example.com", "lists": []string{theirs}}).wantProblem(t, http.StatusBadRequest, "crud.invalid_value")
	if p.Field != "lists" {
		t.Errorf("linking another user's secret list: field %q, want lists", p.Field)
	}
	m := rita.create(t, "message", map[string]any{"content": "to both", "privacy": "secret", "lists": []string{l1, l2}})
	rita.put(t, "/message/"+m, map[string]any{"lists": []string{l1}}).want(t, http.StatusOK)
	if got := decode[Message](t, rita.get(t, "/message/"+m).want(t, http.StatusOK)); !slices.Equal(got.Lists, []string{l1}) {
		t.Errorf("message lists after the update = %v, want [%s]", got.Lists, l1)
	}

	// Expansion: the owner's name, the list's category name.
	r := decode[record](t, rita.get(t, "/contact/"+c+"?expand=owner").want(t, http.StatusOK))
	if r.str("owner") == "" {
		t.Errorf("contact?expand=owner = %v, want the owner's name", r)
	}
	r = decode[record](t, rita.get(t, "/list/"+l1+"?expand=category,owner").want(t, http.StatusOK))
	if r.str("category") == "" || r.str("owner") == "" {
		t.Errorf("list?expand=category,owner = %v, want both names", r)
	}
	page := decode[list[record]](t, rita.get(t, "/list?expand=category").want(t, http.StatusOK))
	for _, it := range page.Items {
		if it.str("category") == "" {
			t.Errorf("list item %v without its category name", it)
		}
	}
	p = rita.get(t, "/contact?expand=lists").wantProblem(t, http.StatusBadRequest, "crud.bad_filter")
	if p.Field != "expand" {
		t.Errorf("unknown expand: field %q, want expand", p.Field)
	}
	// Another user reads none of rita's secret lists through her records.
	sam.get(t, "/contact/"+c+"?expand=owner").want(t, http.StatusNotFound)
}
