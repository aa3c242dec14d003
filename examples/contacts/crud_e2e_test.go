package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// crudScenarios: the resources as their owner, a stranger, an admin and
// list members see them; privacy levels; mass assignment; pagination; the
// trashcan and owner limits.
func crudScenarios() []scenario {
	return []scenario{
		{"an owner creates, reads, changes and deletes a record of every resource", testOwnerCRUD},
		{"defect 20.13: a stranger can neither read, change nor delete others' records, which answer 404", testStranger},
		{"an admin reads, changes and deletes every user's records", testAdminCRUD},
		{"defect 20.13: list members read records by privacy level, and roles follow membership without a new login", testListMembers},
		{"the list_size grant of its owner caps a list's members", testListSize},
		{"issue 15: a member removed from a list no longer changes, deletes or restores what they posted to it", testRemovedMemberWrites},
		{"a record created without a privacy gets the owner's default privacy", testDefaultPrivacy},
		{"defect 20.4: a user cannot write server-controlled fields (mass assignment is a 400)", testMassAssignment},
		{"paging through 1,000 records has no duplicates or gaps", testPagination},
		{"a deleted record waits in the trashcan, is restored, and is purged for good", testTrashcan},
		{"the contacts grant caps the records an account keeps, restores included", testOwnerLimit},
		{"issue 23: contacts and messages in several lists, and names by expand", testRelations},
	}
}

// resourceCase is a record of one resource, and a change to it.
type resourceCase struct {
	resource string
	create   map[string]any
	change   map[string]any
	field    string // a field the change sets
}

func resourceCases() []resourceCase {
	return []resourceCase{
		{"person", map[string]any{"name": "Grace Hopper", "identity": "grace@example.com", "privacy": "secret"}, map[string]any{"name": "Rear Admiral Hopper"}, "name"},
		{"contact", map[string]any{"info": "+1 555 0100", "type": "voice", "label": "mobile", "privacy": "secret"}, map[string]any{"info": "+1 555 0199"}, "info"},
		{"list", map[string]any{"name": "club-" + randomText(6), "description": "books", "privacy": "secret"}, map[string]any{"description": "films"}, "description"},
		{"message", map[string]any{"subject": "hello", "content": "first post", "privacy": "secret"}, map[string]any{"content": "edited post"}, "content"},
		{"category", map[string]any{"name": "friends-" + randomText(6)}, map[string]any{"name": "family-" + randomText(6)}, "name"},
	}
}

// record is any record, as JSON.
type record map[string]any

func (r record) str(k string) string {
	s, _ := r[k].(string)
	return s
}

func (r record) num(k string) int64 {
	f, _ := r[k].(float64)
	return int64(f)
}

func testOwnerCRUD(t *testing.T, in *instance) {
	u := in.newUser(t, "owner")
	for _, rc := range resourceCases() {
		t.Run(rc.resource, func(t *testing.T) {
			id := u.create(t, rc.resource, rc.create)
			res := u.get(t, "/"+rc.resource+"/"+id).want(t, http.StatusOK)
			rec := decode[record](t, res)
			if rec.str("uid") != u.uid || rec.str("status") != "active" || rec.num("version") != 1 || rec.str("id") != id {
				t.Fatalf("new %s = %v, want owner %s, status active, version 1", rc.resource, rec, u.uid)
			}
			for k, v := range rc.create {
				if fmt.Sprint(rec[k]) != fmt.Sprint(v) {
					t.Errorf("%s.%s = %v, want %v", rc.resource, k, rec[k], v)
				}
			}
			etag := res.header.Get("ETag")
			if etag == "" {
				t.Fatalf("GET /%s/%s: no ETag", rc.resource, id)
			}
			changed := decode[record](t, u.put(t, "/"+rc.resource+"/"+id, rc.change, "If-Match", etag).want(t, http.StatusOK))
			if fmt.Sprint(changed[rc.field]) != fmt.Sprint(rc.change[rc.field]) || changed.num("version") != 2 || changed.str("modified") == "" {
				t.Errorf("updated %s = %v, want %s %v, version 2 and a modified time", rc.resource, changed, rc.field, rc.change[rc.field])
			}
			// The old ETag is stale now: a lost update is refused.
			u.put(t, "/"+rc.resource+"/"+id, rc.change, "If-Match", etag).wantProblem(t, http.StatusPreconditionFailed, "")
			listed := decode[list[record]](t, u.get(t, "/"+rc.resource+filterQuery(map[string]any{"id": id})).want(t, http.StatusOK))
			if listed.Count != 1 || len(listed.Items) != 1 || listed.Items[0].str("id") != id {
				t.Errorf("GET /%s?filter={id}: %v, want the record", rc.resource, listed)
			}
			u.delete(t, "/"+rc.resource+"/"+id).want(t, http.StatusNoContent)
			u.get(t, "/"+rc.resource+"/"+id).wantProblem(t, http.StatusNotFound, "crud.not_found")
			u.delete(t, "/"+rc.resource+"/"+id).wantProblem(t, http.StatusNotFound, "crud.not_found")
		})
	}
	t.Run("settings", func(t *testing.T) {
		res := u.get(t, "/settings/"+u.uid).want(t, http.StatusOK)
		s := decode[Settings](t, res)
		changed := decode[Settings](t, u.put(t, "/settings/"+u.uid, map[string]any{"timezone": "Europe/Berlin", "notify_email": false},
			"If-Match", res.header.Get("ETag")).want(t, http.StatusOK))
		if changed.Timezone != "Europe/Berlin" || changed.NotifyEmail || changed.Version != s.Version+1 {
			t.Errorf("updated settings = %+v, want timezone Europe/Berlin, notify_email false, version %d", changed, s.Version+1)
		}
		// Locale and time zone are a BCP 47 tag and an IANA zone name, not
		// any string: 400 naming the field, and nothing stored.
		for _, bad := range []map[string]any{{"locale": "de\r\nX-Injected: 1"}, {"locale": "../../etc"}, {"timezone": "../../etc/passwd"}, {"timezone": "Europe/Berlin\r\n"}} {
			for field := range bad {
				p := u.put(t, "/settings/"+u.uid, bad).wantProblem(t, http.StatusBadRequest, "crud.invalid_value")
				if p.Field != field || strings.Contains(p.Detail, "{") {
					t.Errorf("PUT settings %q: field %q detail %q, want field %s and a filled message", bad, p.Field, p.Detail, field)
				}
			}
		}
		all := decode[list[Settings]](t, u.get(t, "/settings").want(t, http.StatusOK))
		if all.Count != 1 || all.Items[0].ID != u.uid {
			t.Errorf("GET /settings = %+v, want only the caller's", all)
		}
		// Settings come with the account: they are neither created nor deleted.
		u.post(t, "/settings", map[string]any{"timezone": "UTC"}).wantProblem(t, http.StatusMethodNotAllowed, "")
		u.delete(t, "/settings/"+u.uid).wantProblem(t, http.StatusMethodNotAllowed, "")
	})
}

func testStranger(t *testing.T, in *instance) {
	owner := in.newUser(t, "alice")
	stranger := in.newUser(t, "mallory")
	anon := in.anonymous()
	missing := stranger.get(t, "/contact/x-"+randomText(16)).wantProblem(t, http.StatusNotFound, "crud.not_found")
	t.Run("a stranger cannot file records in another's category", func(t *testing.T) {
		cat := owner.create(t, "category", map[string]any{"name": "private-" + randomText(6)})
		if p := stranger.post(t, "/list", map[string]any{"name": "mine-" + randomText(6), "category_id": cat}).wantProblem(t, http.StatusBadRequest, "crud.invalid_value"); p.Field != "category_id" {
			t.Errorf("field = %q, want category_id", p.Field)
		}
		sets := decode[list[record]](t, stranger.get(t, "/settings").want(t, http.StatusOK))
		if len(sets.Items) != 1 {
			t.Fatalf("stranger's settings: %d records", len(sets.Items))
		}
		stranger.put(t, "/settings/"+stranger.uid, map[string]any{"default_category_id": cat}).wantProblem(t, http.StatusBadRequest, "crud.invalid_value")
	})
	for _, rc := range resourceCases() {
		t.Run(rc.resource, func(t *testing.T) {
			id := owner.create(t, rc.resource, rc.create)
			path := "/" + rc.resource + "/" + id
			got := stranger.get(t, path).wantProblem(t, http.StatusNotFound, "crud.not_found")
			if got != missing {
				t.Errorf("GET %s by a stranger = %+v, want the same problem as for a record that does not exist (%+v)", path, got, missing)
			}
			stranger.put(t, path, rc.change).wantProblem(t, http.StatusNotFound, "crud.not_found")
			stranger.delete(t, path).wantProblem(t, http.StatusNotFound, "crud.not_found")
			anon.get(t, path).want(t, http.StatusNotFound, http.StatusUnauthorized)
			anon.put(t, path, rc.change).want(t, http.StatusNotFound, http.StatusUnauthorized)
			anon.delete(t, path).want(t, http.StatusNotFound, http.StatusUnauthorized)
			if l := decode[list[record]](t, stranger.get(t, "/"+rc.resource+filterQuery(map[string]any{"id": id})).want(t, http.StatusOK)); l.Count != 0 || len(l.Items) != 0 {
				t.Errorf("GET /%s?filter={id} by a stranger: %+v, want nothing", rc.resource, l)
			}
			stranger.put(t, "/trashcan/"+rc.resource+"-"+id, nil).want(t, http.StatusNotFound)
			// Nothing changed.
			rec := decode[record](t, owner.get(t, path).want(t, http.StatusOK))
			if rec.num("version") != 1 || rec.str("status") != "active" {
				t.Errorf("%s after the stranger's attempts = %v, want version 1, active", rc.resource, rec)
			}
		})
	}
	t.Run("profile", func(t *testing.T) {
		stranger.get(t, "/person/"+owner.uid).wantProblem(t, http.StatusNotFound, "crud.not_found")
		stranger.get(t, "/settings/"+owner.uid).wantProblem(t, http.StatusNotFound, "crud.not_found")
		stranger.put(t, "/settings/"+owner.uid, map[string]any{"locale": "de"}).wantProblem(t, http.StatusNotFound, "crud.not_found")
		stranger.get(t, "/grant/"+owner.uid+":contacts").wantProblem(t, http.StatusNotFound, "crud.not_found")
		stranger.get(t, "/grant"+filterQuery(nil, "uid", owner.uid)).wantProblem(t, http.StatusForbidden, "")
		stranger.put(t, "/grant/"+stranger.uid+":contacts", map[string]string{"value": "1000"}).wantProblem(t, http.StatusForbidden, "")
		stranger.delete(t, "/grant/"+stranger.uid+":contacts").wantProblem(t, http.StatusForbidden, "")
		own := decode[record](t, stranger.get(t, "/grant/"+stranger.uid+":contacts").want(t, http.StatusOK))
		if own.str("value") != "8" {
			t.Errorf("own grant contacts = %v, want the default 8", own)
		}
	})
	t.Run("public records", func(t *testing.T) {
		// "public" is readable by anyone, but writable by the owner only.
		id := owner.create(t, "contact", map[string]any{"info": "alice@example.com", "privacy": "public"})
		stranger.get(t, "/contact/"+id).want(t, http.StatusOK)
		anon.get(t, "/contact/"+id).want(t, http.StatusOK)
		stranger.put(t, "/contact/"+id, map[string]any{"info": "mallory@example.com"}).wantProblem(t, http.StatusForbidden, "crud.forbidden")
		stranger.delete(t, "/contact/"+id).wantProblem(t, http.StatusForbidden, "crud.forbidden")
		anon.post(t, "/contact", map[string]any{"info": "anon@example.com"}).want(t, http.StatusUnauthorized)
	})
}

func testAdminCRUD(t *testing.T, in *instance) {
	owner := in.newUser(t, "bob")
	admin := in.admin(t)
	var ids []string
	for _, rc := range resourceCases() {
		t.Run(rc.resource, func(t *testing.T) {
			id := owner.create(t, rc.resource, rc.create)
			ids = append(ids, rc.resource+"-"+id)
			path := "/" + rc.resource + "/" + id
			rec := decode[record](t, admin.get(t, path).want(t, http.StatusOK))
			if rec.str("uid") != owner.uid {
				t.Errorf("admin reads %s owned by %s, want %s", rc.resource, rec.str("uid"), owner.uid)
			}
			changed := decode[record](t, admin.put(t, path, rc.change).want(t, http.StatusOK))
			if changed.str("uid") != owner.uid {
				t.Errorf("an admin's change moved the %s to %s, want it kept by %s", rc.resource, changed.str("uid"), owner.uid)
			}
			admin.delete(t, path).want(t, http.StatusNoContent)
			owner.get(t, path).wantProblem(t, http.StatusNotFound, "crud.not_found")
		})
	}
	t.Run("settings and person", func(t *testing.T) {
		admin.get(t, "/person/"+owner.uid).want(t, http.StatusOK)
		admin.put(t, "/settings/"+owner.uid, map[string]any{"timezone": "Asia/Tokyo"}).want(t, http.StatusOK)
		if s := decode[Settings](t, owner.get(t, "/settings/"+owner.uid).want(t, http.StatusOK)); s.Timezone != "Asia/Tokyo" {
			t.Errorf("settings after the admin's change: timezone %q, want Asia/Tokyo", s.Timezone)
		}
		grants := decode[list[record]](t, admin.get(t, "/grant"+filterQuery(nil, "uid", owner.uid)).want(t, http.StatusOK))
		if grants.Count == 0 || grants.Items[0].str("uid") != owner.uid {
			t.Errorf("admin's GET /grant?uid=: %v, want the owner's grants", grants)
		}
	})
	t.Run("trashcan", func(t *testing.T) {
		trash := decode[list[record]](t, admin.get(t, "/trashcan"+filterQuery(map[string]any{"uid": owner.uid}, "limit", "100")).want(t, http.StatusOK))
		var got []string
		for _, it := range trash.Items {
			got = append(got, it.str("id"))
		}
		slices.Sort(got)
		slices.Sort(ids)
		if !slices.Equal(ids, got) {
			t.Errorf("admin's trashcan of %s = %v, want %v", owner.uid, got, ids)
		}
	})
}

// levels are the privacy levels, least restrictive first.
var levels = []string{"public", "invitee", "member", "manager", "secret"}

func testListMembers(t *testing.T, in *instance) {
	owner := in.newUser(t, "olivia")
	invitee := in.newUser(t, "ivan")
	mbr := in.newUser(t, "mia")
	manager := in.newUser(t, "manon")
	stranger := in.newUser(t, "sam")
	admin := in.admin(t)
	memberKey := decode[apiKeyBody](t, mbr.post(t, "/apikey", map[string]any{"name": "reader", "scopes": []string{"readonly"}}).
		want(t, http.StatusCreated)).APIKey

	listID := owner.create(t, "list", map[string]any{"name": "band-" + randomText(6), "privacy": "secret"})
	contacts := map[string]string{} // privacy → id
	messages := map[string]string{}
	for _, p := range levels {
		contacts[p] = owner.create(t, "contact", map[string]any{"info": p + "@example.com", "privacy": p, "list_id": listID})
		messages[p] = owner.create(t, "message", map[string]any{"subject": p, "content": "to the " + p + "s", "privacy": p, "list_id": listID})
	}
	unattached := owner.create(t, "contact", map[string]any{"info": "nolist@example.com", "privacy": "member"})

	// readable lists the privacy levels whose records c reads.
	readable := func(t *testing.T, c *client, ids map[string]string, resource string) []string {
		t.Helper()
		var got []string
		for _, p := range levels {
			if c.get(t, "/"+resource+"/"+ids[p]).want(t, http.StatusOK, http.StatusNotFound).status == http.StatusOK {
				got = append(got, p)
			}
		}
		page := decode[list[record]](t, c.get(t, "/"+resource+filterQuery(map[string]any{"list_id": listID}, "limit", "50")).want(t, http.StatusOK))
		var listed []string
		for _, it := range page.Items {
			listed = append(listed, it.str("privacy"))
		}
		slices.SortFunc(listed, func(a, b string) int { return slices.Index(levels, a) - slices.Index(levels, b) })
		if !slices.Equal(got, listed) || page.Count != len(got) {
			t.Errorf("%s: GET reads %v but the list shows %v (count %d)", resource, got, listed, page.Count)
		}
		return got
	}
	check := func(t *testing.T, name string, c *client, wantContacts, wantMessages []string) {
		t.Helper()
		if got := readable(t, c, contacts, "contact"); !slices.Equal(got, wantContacts) {
			t.Errorf("%s reads the contacts of privacy %v, want %v", name, got, wantContacts)
		}
		if got := readable(t, c, messages, "message"); !slices.Equal(got, wantMessages) {
			t.Errorf("%s reads the messages of privacy %v, want %v", name, got, wantMessages)
		}
	}

	t.Run("before joining, members-to-be read public records only", func(t *testing.T) {
		for name, c := range map[string]*client{"invitee": invitee, "member": mbr, "manager": manager} {
			check(t, name, c, levels[:1], levels[:1])
			c.get(t, "/list/"+listID).wantProblem(t, http.StatusNotFound, "crud.not_found")
		}
	})
	for c, level := range map[*client]string{invitee: "invitee", mbr: "member", manager: "manager"} {
		owner.put(t, "/list/"+listID+"/member/"+c.uid, map[string]string{"level": level}).want(t, http.StatusNoContent)
	}
	t.Run("members read records of their level and below, without logging in again", func(t *testing.T) {
		check(t, "owner", owner, levels, levels)
		check(t, "admin", admin, levels, levels)
		check(t, "invitee", invitee, levels[:2], levels[:2])
		check(t, "member", mbr, levels[:3], levels[:3])
		// Managers moderate the list's messages, so they read all of them.
		check(t, "manager", manager, levels[:4], levels)
		check(t, "stranger", stranger, levels[:1], levels[:1])
		check(t, "anonymous client", in.anonymous(), levels[:1], levels[:1])
		// An API key carries its owner's current roles.
		k := mbr.withAPIKey(memberKey)
		if got := readable(t, k, contacts, "contact"); !slices.Equal(got, levels[:3]) {
			t.Errorf("the member's API key reads the contacts of privacy %v, want %v", got, levels[:3])
		}
		// A record attached to no list is its owner's, whatever its privacy.
		for _, c := range []*client{invitee, mbr, manager, stranger} {
			c.get(t, "/contact/"+unattached).wantProblem(t, http.StatusNotFound, "crud.not_found")
		}
	})
	t.Run("members read the list and its members; only hosts change them", func(t *testing.T) {
		for _, c := range []*client{invitee, mbr, manager} {
			c.get(t, "/list/"+listID).want(t, http.StatusOK)
		}
		stranger.get(t, "/list/"+listID).wantProblem(t, http.StatusNotFound, "crud.not_found")
		stranger.get(t, "/list/"+listID+"/member").wantProblem(t, http.StatusNotFound, "crud.not_found")
		ms := decode[list[member]](t, mbr.get(t, "/list/"+listID+"/member").want(t, http.StatusOK))
		got := map[string]string{}
		for _, m := range ms.Items {
			got[m.UID] = m.Level
		}
		want := map[string]string{invitee.uid: "invitee", mbr.uid: "member", manager.uid: "manager"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("members = %v, want %v", got, want)
		}
		mbr.put(t, "/list/"+listID+"/member/"+stranger.uid, map[string]string{"level": "invitee"}).wantProblem(t, http.StatusForbidden, "")
		invitee.put(t, "/list/"+listID+"/member/"+invitee.uid, map[string]string{"level": "manager"}).wantProblem(t, http.StatusForbidden, "")
		stranger.put(t, "/list/"+listID+"/member/"+stranger.uid, map[string]string{"level": "manager"}).wantProblem(t, http.StatusNotFound, "")
		owner.put(t, "/list/"+listID+"/member/"+stranger.uid, map[string]string{"level": "owner"}).wantProblem(t, http.StatusBadRequest, "")
		owner.put(t, "/list/"+listID+"/member/u-"+randomText(20), map[string]string{"level": "member"}).wantProblem(t, http.StatusBadRequest, "")
		mbr.put(t, "/list/"+listID, map[string]any{"description": "taken over"}).wantProblem(t, http.StatusForbidden, "")
		mbr.delete(t, "/list/"+listID).wantProblem(t, http.StatusForbidden, "")
		manager.put(t, "/list/"+listID, map[string]any{"description": "moderated"}).want(t, http.StatusOK)
	})
	t.Run("members post to the list, managers moderate, others cannot", func(t *testing.T) {
		posted := invitee.create(t, "message", map[string]any{"subject": "hi", "content": "from the invitee", "privacy": "invitee", "list_id": listID})
		mbr.get(t, "/message/"+posted).want(t, http.StatusOK)
		mbr.put(t, "/message/"+posted, map[string]any{"content": "edited by another"}).wantProblem(t, http.StatusForbidden, "")
		mbr.delete(t, "/message/"+posted).wantProblem(t, http.StatusForbidden, "")
		// Owning a message is not enough to post it to a list.
		stranger.post(t, "/message", map[string]any{"content": "spam", "privacy": "public", "list_id": listID}).want(t, http.StatusForbidden, http.StatusNotFound)
		own := stranger.create(t, "message", map[string]any{"content": "mine", "privacy": "public"})
		stranger.put(t, "/message/"+own, map[string]any{"list_id": listID}).want(t, http.StatusForbidden, http.StatusNotFound)
		manager.delete(t, "/message/"+posted).want(t, http.StatusNoContent)
		mbr.get(t, "/message/"+posted).wantProblem(t, http.StatusNotFound, "crud.not_found")
		if l := decode[list[record]](t, mbr.get(t, "/message"+filterQuery(map[string]any{"id": posted})).want(t, http.StatusOK)); l.Count != 0 {
			t.Errorf("a deleted message is still listed: %v", l.Items)
		}
		mbr.put(t, "/contact/"+contacts["member"], map[string]any{"info": "changed"}).wantProblem(t, http.StatusForbidden, "")
	})
	t.Run("a contact is shared only with a list its owner belongs to", func(t *testing.T) {
		shared := invitee.create(t, "contact", map[string]any{"info": "invitee@example.com", "privacy": "invitee", "list_id": listID})
		invitee.delete(t, "/contact/"+shared+"?force=true").want(t, http.StatusNoContent)
		stranger.post(t, "/contact", map[string]any{"info": "spam@example.com", "privacy": "public", "list_id": listID}).want(t, http.StatusForbidden, http.StatusNotFound)
		own := stranger.create(t, "contact", map[string]any{"info": "stranger@example.com", "privacy": "public"})
		stranger.put(t, "/contact/"+own, map[string]any{"list_id": listID}).want(t, http.StatusForbidden, http.StatusNotFound)
	})
	t.Run("a manager adds a member, whose roles follow at once", func(t *testing.T) {
		manager.put(t, "/list/"+listID+"/member/"+stranger.uid, map[string]string{"level": "member"}).want(t, http.StatusNoContent)
		check(t, "the new member", stranger, levels[:3], levels[:3])
	})
	t.Run("a removed or departing member loses access at once", func(t *testing.T) {
		owner.delete(t, "/list/"+listID+"/member/"+mbr.uid).want(t, http.StatusNoContent)
		check(t, "the removed member", mbr, levels[:1], levels[:1])
		stranger.delete(t, "/list/"+listID+"/member/"+stranger.uid).want(t, http.StatusNoContent)
		check(t, "the departed member", stranger, levels[:1], levels[:1])
		owner.delete(t, "/list/"+listID+"/member/"+stranger.uid).wantProblem(t, http.StatusNotFound, "crud.not_found")
	})
	t.Run("deleting the list takes its members' access away at once", func(t *testing.T) {
		owner.delete(t, "/list/"+listID).want(t, http.StatusNoContent)
		// Membership roles name active lists only (memberships.MembershipRoles),
		// so the invitee's live session must lose list-<id>-invitee now, not
		// at its next login.
		check(t, "the invitee of a deleted list, in the session it had", invitee, levels[:1], levels[:1])
		fresh := invitee.fromIP(invitee.ip)
		fresh.login(t)
		check(t, "the invitee of a deleted list, logged in again", fresh, levels[:1], levels[:1])
		owner.put(t, "/trashcan/list-"+listID, nil).want(t, http.StatusOK)
		fresh.login(t)
		check(t, "the invitee of the restored list", fresh, levels[:2], levels[:2])
	})
}

func testRemovedMemberWrites(t *testing.T, in *instance) {
	owner := in.newUser(t, "ophelia")
	poster := in.newUser(t, "paul")
	reader := in.newUser(t, "rita")
	listID := owner.create(t, "list", map[string]any{"name": "club-" + randomText(6), "privacy": "secret"})
	for _, c := range []*client{poster, reader} {
		owner.put(t, "/list/"+listID+"/member/"+c.uid, map[string]string{"level": "member"}).want(t, http.StatusNoContent)
	}
	msg := poster.create(t, "message", map[string]any{"subject": "hello", "content": "original", "privacy": "member", "list_id": listID})
	trashed := poster.create(t, "message", map[string]any{"subject": "later", "content": "to restore", "privacy": "member", "list_id": listID})
	gone := poster.create(t, "message", map[string]any{"subject": "doomed", "content": "to delete", "privacy": "member", "list_id": listID})
	shared := poster.create(t, "contact", map[string]any{"info": "paul@example.com", "privacy": "member", "list_id": listID})
	// While a member, the poster edits and deletes their own records.
	poster.put(t, "/message/"+msg, map[string]any{"content": "edited while a member"}).want(t, http.StatusOK)
	poster.delete(t, "/message/"+trashed).want(t, http.StatusNoContent)

	owner.delete(t, "/list/"+listID+"/member/"+poster.uid).want(t, http.StatusNoContent)

	// The session that was open before the removal is the one used now.
	poster.put(t, "/message/"+msg, map[string]any{"content": "vandalised"}).wantProblem(t, http.StatusForbidden, "")
	poster.put(t, "/contact/"+shared, map[string]any{"info": "vandalised"}).wantProblem(t, http.StatusForbidden, "")
	poster.delete(t, "/message/"+gone).wantProblem(t, http.StatusForbidden, "")
	poster.delete(t, "/message/"+gone+"?force=true").wantProblem(t, http.StatusForbidden, "")
	poster.put(t, "/trashcan/message-"+trashed, nil).wantProblem(t, http.StatusForbidden, "")
	poster.delete(t, "/trashcan/message-"+trashed).wantProblem(t, http.StatusForbidden, "")
	poster.post(t, "/message", map[string]any{"subject": "late", "content": "after removal", "list_id": listID}).wantProblem(t, http.StatusForbidden, "")

	// The other members read what was there before.
	if got := decode[record](t, reader.get(t, "/message/"+msg).want(t, http.StatusOK)).str("content"); got != "edited while a member" {
		t.Errorf("a member reads the message as %q", got)
	}
	if got := decode[record](t, reader.get(t, "/contact/"+shared).want(t, http.StatusOK)).str("info"); got != "paul@example.com" {
		t.Errorf("a member reads the contact as %q", got)
	}
	reader.get(t, "/message/"+gone).want(t, http.StatusOK)
	reader.get(t, "/message/"+trashed).wantProblem(t, http.StatusNotFound, "crud.not_found")

	// Taken back into the list, the poster writes again.
	owner.put(t, "/list/"+listID+"/member/"+poster.uid, map[string]string{"level": "invitee"}).want(t, http.StatusNoContent)
	poster.put(t, "/trashcan/message-"+trashed, nil).want(t, http.StatusOK)
	poster.put(t, "/message/"+msg, map[string]any{"content": "back"}).want(t, http.StatusOK)
}

func testListSize(t *testing.T, in *instance) {
	owner := in.newUser(t, "lena")
	a, b, c := in.newUser(t, "abe"), in.newUser(t, "bea"), in.newUser(t, "cal")
	in.setGrant(t, owner.uid, "list_size", 2)
	listID := owner.create(t, "list", map[string]any{"name": "small-" + randomText(6), "privacy": "secret"})
	join := func(u *client, level string) *response {
		return owner.put(t, "/list/"+listID+"/member/"+u.uid, map[string]string{"level": level})
	}
	join(a, "member").want(t, http.StatusNoContent)
	join(b, "invitee").want(t, http.StatusNoContent)
	join(c, "member").wantProblem(t, http.StatusForbidden, "crud.limit_exceeded")
	join(b, "manager").want(t, http.StatusNoContent) // a change of level is no new member
	ms := decode[list[member]](t, owner.get(t, "/list/"+listID+"/member").want(t, http.StatusOK))
	if ms.Count != 2 {
		t.Errorf("members = %+v, want 2", ms.Items)
	}
	owner.delete(t, "/list/"+listID+"/member/"+a.uid).want(t, http.StatusNoContent)
	join(c, "member").want(t, http.StatusNoContent)
}

func testDefaultPrivacy(t *testing.T, in *instance) {
	u := in.newUser(t, "dora")
	s := decode[Settings](t, u.get(t, "/settings/"+u.uid).want(t, http.StatusOK))
	if s.DefaultPrivacy == "" {
		t.Fatalf("new settings = %+v, want a default privacy", s)
	}
	check := func(t *testing.T, want string) {
		t.Helper()
		for _, rc := range resourceCases() {
			if rc.resource == "category" {
				continue // no privacy
			}
			body := copyRecord(rc.create)
			delete(body, "privacy")
			id := u.create(t, rc.resource, body)
			if got := decode[record](t, u.get(t, "/"+rc.resource+"/"+id).want(t, http.StatusOK)).str("privacy"); got != want {
				t.Errorf("new %s without privacy: privacy %q, want the default %q", rc.resource, got, want)
			}
		}
	}
	check(t, s.DefaultPrivacy)
	// A change of the setting applies to the next record at once.
	u.put(t, "/settings/"+u.uid, map[string]any{"default_privacy": "invitee"}).want(t, http.StatusOK)
	check(t, "invitee")
	id := u.create(t, "contact", map[string]any{"info": "explicit@example.com", "privacy": "secret"})
	if got := decode[Contact](t, u.get(t, "/contact/"+id).want(t, http.StatusOK)).Privacy; got != "secret" {
		t.Errorf("a privacy given explicitly became %q, want secret", got)
	}
}

func testMassAssignment(t *testing.T, in *instance) {
	u := in.newUser(t, "eve")
	victim := in.newUser(t, "victor")
	id := u.create(t, "contact", map[string]any{"info": "eve@example.com", "privacy": "secret"})
	res := u.get(t, "/contact/"+id).want(t, http.StatusOK)
	original := decode[record](t, res)

	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"owner", map[string]any{"uid": victim.uid}, "uid"},
		{"status", map[string]any{"status": "disabled"}, "status"},
		{"created", map[string]any{"created": "2000-01-01T00:00:00Z"}, "created"},
		{"modified", map[string]any{"modified": "2000-01-01T00:00:00Z"}, "modified"},
		{"id", map[string]any{"id": "x-" + randomText(16)}, "id"},
		{"an unknown admin flag", map[string]any{"is_admin": true}, "is_admin"},
		{"an unknown role list", map[string]any{"roles": []string{"admin"}}, "roles"},
	} {
		t.Run("create with "+tc.name, func(t *testing.T) {
			body := map[string]any{"info": "x@example.com"}
			for k, v := range tc.body {
				body[k] = v
			}
			if p := u.post(t, "/contact", body).wantProblem(t, http.StatusBadRequest, ""); p.Field != tc.field {
				t.Errorf("problem field = %q, want %q", p.Field, tc.field)
			}
		})
		t.Run("update with "+tc.name, func(t *testing.T) {
			if p := u.put(t, "/contact/"+id, tc.body).wantProblem(t, http.StatusBadRequest, ""); p.Field != tc.field {
				t.Errorf("problem field = %q, want %q", p.Field, tc.field)
			}
		})
	}
	t.Run("the person and settings of the account", func(t *testing.T) {
		if p := u.put(t, "/person/"+u.uid, map[string]any{"uid": victim.uid}).wantProblem(t, http.StatusBadRequest, ""); p.Field != "uid" {
			t.Errorf("problem field = %q, want uid", p.Field)
		}
		if p := u.put(t, "/settings/"+u.uid, map[string]any{"id": victim.uid}).wantProblem(t, http.StatusBadRequest, ""); p.Field != "id" {
			t.Errorf("problem field = %q, want id", p.Field)
		}
		u.put(t, "/settings/"+u.uid, map[string]any{"default_privacy": "everyone"}).wantProblem(t, http.StatusBadRequest, "")
		u.post(t, "/person", map[string]any{"name": "Admin", "is_admin": true}).wantProblem(t, http.StatusBadRequest, "")
		u.post(t, "/apikey", map[string]any{"name": "k", "scopes": []string{"full"}, "uid": victim.uid}).wantProblem(t, http.StatusBadRequest, "")
	})
	t.Run("echoing the stored values is allowed", func(t *testing.T) {
		echo := copyRecord(original)
		echo["rank"] = 7
		changed := decode[record](t, u.put(t, "/contact/"+id, echo).want(t, http.StatusOK))
		if changed.num("rank") != 7 || changed.str("uid") != u.uid {
			t.Errorf("after an echoed update: %v, want rank 7 and the same owner", changed)
		}
		echo["rank"] = 8 // the echoed version is now stale
		u.put(t, "/contact/"+id, echo).wantProblem(t, http.StatusPreconditionFailed, "")
	})
	t.Run("nothing was written", func(t *testing.T) {
		now := decode[record](t, u.get(t, "/contact/"+id).want(t, http.StatusOK))
		for _, k := range []string{"id", "uid", "status", "created"} {
			if fmt.Sprint(now[k]) != fmt.Sprint(original[k]) {
				t.Errorf("contact.%s = %v, want %v", k, now[k], original[k])
			}
		}
		victim.get(t, "/contact/"+id).wantProblem(t, http.StatusNotFound, "crud.not_found")
		tb := u.login(t)
		if !slices.Equal(tb.Roles, []string{"user"}) {
			t.Errorf("roles after the attempts = %v, want [user]", tb.Roles)
		}
		in.anonymous().get(t, "/metrics", "Authorization", "Bearer "+u.token).want(t, http.StatusForbidden)
	})
}

// copyRecord copies a record.
func copyRecord(r record) record {
	out := make(record, len(r))
	for k, v := range r {
		out[k] = v
	}
	return out
}

func testPagination(t *testing.T, in *instance) {
	const n = 1000
	u := in.newUser(t, "paige")
	in.setGrant(t, u.uid, "contacts", n+100)
	in.setGrant(t, u.uid, "ratelimit", 100000)

	created := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				res, err := u.try(t, http.MethodPost, "/contact", map[string]any{
					"info": fmt.Sprintf("c-%04d@example.com", i), "rank": i % 7, "privacy": "secret"})
				if err != nil || res.status != http.StatusCreated {
					errs <- fmt.Sprintf("creating contact %d: %v %v", i, res, err)
					continue
				}
				var id idOf
				_ = json.Unmarshal(res.body, &id)
				created[i] = id.ID
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	want := slices.Clone(created)
	slices.Sort(want)

	// page reads all pages of a query, calling between after each page.
	page := func(t *testing.T, query map[string]string, between func(page int)) (ids []string, pages int) {
		t.Helper()
		cursor := ""
		for {
			args := []string{"filter", `{"uid":"` + u.uid + `"}`} // others' public contacts are readable too
			for k, v := range query {
				args = append(args, k, v)
			}
			if cursor != "" {
				args = append(args, "cursor_next", cursor)
			}
			res := u.get(t, "/contact"+filterQuery(nil, args...)).want(t, http.StatusOK)
			p := decode[list[Contact]](t, res)
			if tc := res.header.Get("X-Total-Count"); tc != strconv.Itoa(p.Count) {
				t.Errorf("page %d: X-Total-Count %q, count %d", pages, tc, p.Count)
			}
			if cr := res.header.Get("Content-Range"); len(p.Items) > 0 && !strings.HasSuffix(cr, "/"+strconv.Itoa(p.Count)) {
				t.Errorf("page %d: Content-Range %q, want …/%d", pages, cr, p.Count)
			}
			for i, c := range p.Items {
				ids = append(ids, c.ID)
				if i > 0 && query["sort"] == "rank:desc" && p.Items[i-1].Rank < c.Rank {
					t.Errorf("page %d: rank %d before %d, want descending", pages, p.Items[i-1].Rank, c.Rank)
				}
			}
			pages++
			if between != nil {
				between(pages)
			}
			if p.CursorNext == "" {
				return ids, pages
			}
			if pages > 100 {
				t.Fatalf("more than 100 pages")
			}
			cursor = p.CursorNext
		}
	}

	t.Run("a keyset page counts only when asked; a range page always", func(t *testing.T) {
		res := u.get(t, "/contact"+filterQuery(map[string]any{"uid": u.uid}, "limit", "10"), "Prefer", "").want(t, http.StatusOK)
		if p := decode[map[string]any](t, res); p["count"] != nil || res.header.Get("X-Total-Count") != "" ||
			res.header.Get("Content-Range") != "contact 0-9/*" {
			t.Errorf("an uncounted page: count %v, X-Total-Count %q, Content-Range %q", p["count"], res.header.Get("X-Total-Count"), res.header.Get("Content-Range"))
		}
		res = u.get(t, "/contact"+filterQuery(map[string]any{"uid": u.uid}, "range", "[0,9]"), "Prefer", "").want(t, http.StatusOK)
		if cr := res.header.Get("Content-Range"); cr != "contact 0-9/"+strconv.Itoa(len(want)) {
			t.Errorf("a range page: Content-Range %q, want contact 0-9/%d", cr, len(want))
		}
		res = u.get(t, "/contact"+filterQuery(map[string]any{"uid": u.uid}, "limit", "10"), "Prefer", "count=planned").want(t, http.StatusOK)
		if pa := res.header.Get("Preference-Applied"); pa != "count=planned" && pa != "count=exact" {
			t.Errorf("Preference-Applied %q", pa)
		}
	})
	t.Run("by id, 100 a page", func(t *testing.T) {
		ids, pages := page(t, map[string]string{"limit": "100"}, nil)
		if pages != 10 {
			t.Errorf("pages = %d, want 10", pages)
		}
		got := slices.Clone(ids)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Fatalf("paging returned %d ids (%d distinct), want the %d created", len(ids), len(slices.Compact(got)), n)
		}
	})
	t.Run("by rank with ties, 64 a page, while records are added", func(t *testing.T) {
		ids, _ := page(t, map[string]string{"limit": "64", "sort": "rank:desc"}, func(p int) {
			if p == 3 {
				for i := range 5 {
					u.create(t, "contact", map[string]any{"info": fmt.Sprintf("late-%d@example.com", i), "rank": i, "privacy": "secret"})
				}
			}
		})
		seen := map[string]int{}
		for _, id := range ids {
			seen[id]++
		}
		for id, k := range seen {
			if k > 1 {
				t.Errorf("id %s listed %d times", id, k)
			}
		}
		for _, id := range created {
			if seen[id] != 1 {
				t.Errorf("created contact %s listed %d times, want once", id, seen[id])
			}
		}
	})
	t.Run("cursors and limits are checked", func(t *testing.T) {
		p := decode[list[Contact]](t, u.get(t, "/contact"+filterQuery(map[string]any{"uid": u.uid}, "limit", "10")).want(t, http.StatusOK))
		tampered := p.CursorNext[:len(p.CursorNext)-2] + "xx"
		if got := u.get(t, "/contact"+filterQuery(map[string]any{"uid": u.uid}, "limit", "10", "cursor_next", tampered)).wantProblem(t, http.StatusBadRequest, ""); got.Field != "cursor_next" {
			t.Errorf("tampered cursor: field %q, want cursor_next", got.Field)
		}
		u.get(t, "/contact"+filterQuery(map[string]any{"uid": u.uid}, "limit", "10", "sort", "info", "cursor_next", p.CursorNext)).wantProblem(t, http.StatusBadRequest, "")
		u.get(t, "/contact"+filterQuery(nil, "limit", "0")).wantProblem(t, http.StatusBadRequest, "")
		u.get(t, "/contact"+filterQuery(nil, "limit", "100000")).wantProblem(t, http.StatusBadRequest, "")
		u.get(t, "/contact"+filterQuery(nil, "sort", "password")).wantProblem(t, http.StatusBadRequest, "")
		u.get(t, "/contact"+filterQuery(map[string]any{"no_such_field": 1})).wantProblem(t, http.StatusBadRequest, "")
		// Another user pages through none of them.
		other := in.newUser(t, "peter")
		if l := decode[list[Contact]](t, other.get(t, "/contact"+filterQuery(map[string]any{"uid": u.uid})).want(t, http.StatusOK)); l.Count != 0 {
			t.Errorf("another user lists %d of the contacts, want 0", l.Count)
		}
		res := other.get(t, "/contact"+filterQuery(map[string]any{"uid": u.uid}, "limit", "10", "cursor_next", p.CursorNext)).want(t, http.StatusOK, http.StatusBadRequest)
		if res.status == http.StatusOK {
			if l := decode[list[Contact]](t, res); len(l.Items) != 0 {
				t.Errorf("another user reusing the cursor lists %d of the contacts, want 0", len(l.Items))
			}
		}
	})
}

func testTrashcan(t *testing.T, in *instance) {
	u := in.newUser(t, "trudy")
	other := in.newUser(t, "oscar")
	keep := u.create(t, "contact", map[string]any{"info": "keep@example.com", "privacy": "secret"})
	purge := u.create(t, "contact", map[string]any{"info": "purge@example.com", "privacy": "secret"})
	listID := u.create(t, "list", map[string]any{"name": "trash-" + randomText(6), "privacy": "secret"})

	u.delete(t, "/contact/"+keep+","+purge).want(t, http.StatusNoContent)
	u.delete(t, "/list/"+listID).want(t, http.StatusNoContent)
	u.get(t, "/contact/"+keep).wantProblem(t, http.StatusNotFound, "crud.not_found")
	if l := decode[list[Contact]](t, u.get(t, "/contact"+filterQuery(map[string]any{"uid": u.uid})).want(t, http.StatusOK)); l.Count != 0 {
		t.Errorf("deleted contacts still listed: %+v", l)
	}

	trash := decode[list[record]](t, u.get(t, "/trashcan").want(t, http.StatusOK))
	var names []string
	for _, it := range trash.Items {
		names = append(names, it.str("id"))
		if it.str("uid") != u.uid || it.str("status") != "disabled" {
			t.Errorf("trash item %v, want owner %s and status disabled", it, u.uid)
		}
	}
	slices.Sort(names)
	want := []string{"contact-" + keep, "contact-" + purge, "list-" + listID}
	slices.Sort(want)
	if !slices.Equal(want, names) || trash.Count != 3 {
		t.Fatalf("trashcan = %v (count %d), want %v", names, trash.Count, want)
	}
	if l := decode[list[record]](t, other.get(t, "/trashcan").want(t, http.StatusOK)); l.Count != 0 {
		t.Errorf("another user's trashcan shows %v", l.Items)
	}
	other.get(t, "/trashcan/contact-"+keep).wantProblem(t, http.StatusNotFound, "crud.not_found")
	other.put(t, "/trashcan/contact-"+keep, nil).wantProblem(t, http.StatusNotFound, "crud.not_found")
	other.delete(t, "/trashcan/contact-"+keep).wantProblem(t, http.StatusNotFound, "crud.not_found")
	only := decode[list[record]](t, u.get(t, "/trashcan"+filterQuery(map[string]any{"resource": "list"})).want(t, http.StatusOK))
	if only.Count != 1 || only.Items[0].str("id") != "list-"+listID {
		t.Errorf("trashcan filtered to lists = %v, want the list", only.Items)
	}

	got := decode[record](t, u.get(t, "/trashcan/contact-"+keep).want(t, http.StatusOK))
	if got.str("info") != "keep@example.com" {
		t.Errorf("GET /trashcan/contact-%s = %v", keep, got)
	}
	u.put(t, "/trashcan/contact-"+keep, map[string]string{"status": "disabled"}).wantProblem(t, http.StatusBadRequest, "")
	restored := decode[record](t, u.put(t, "/trashcan/contact-"+keep, map[string]string{"status": "active"}).want(t, http.StatusOK))
	if restored.str("status") != "active" {
		t.Errorf("restored = %v, want status active", restored)
	}
	if c := decode[Contact](t, u.get(t, "/contact/"+keep).want(t, http.StatusOK)); c.Info != "keep@example.com" {
		t.Errorf("restored contact = %+v", c)
	}
	u.put(t, "/trashcan/contact-"+keep, nil).wantProblem(t, http.StatusNotFound, "crud.not_found")

	u.delete(t, "/trashcan/contact-"+purge).want(t, http.StatusNoContent)
	u.get(t, "/trashcan/contact-"+purge).wantProblem(t, http.StatusNotFound, "crud.not_found")
	u.put(t, "/trashcan/contact-"+purge, nil).wantProblem(t, http.StatusNotFound, "crud.not_found")
	in.admin(t).get(t, "/contact/"+purge).wantProblem(t, http.StatusNotFound, "crud.not_found")

	// force=true purges at once, without the trashcan.
	gone := u.create(t, "contact", map[string]any{"info": "gone@example.com", "privacy": "secret"})
	u.delete(t, "/contact/"+gone+"?force=true").want(t, http.StatusNoContent)
	u.get(t, "/trashcan/contact-"+gone).wantProblem(t, http.StatusNotFound, "crud.not_found")
	u.get(t, "/trashcan/nothing-"+gone).wantProblem(t, http.StatusNotFound, "")
}

func testOwnerLimit(t *testing.T, in *instance) {
	u := in.newUser(t, "lim")
	const limit = 8 // the default grant "contacts"
	var ids []string
	for i := range limit {
		ids = append(ids, u.create(t, "contact", map[string]any{"info": fmt.Sprintf("l%d@example.com", i), "privacy": "secret"}))
	}
	u.post(t, "/contact", map[string]any{"info": "over@example.com"}).wantProblem(t, http.StatusForbidden, "crud.limit_exceeded")
	// Deleted records do not count; restoring one over the limit is refused.
	u.delete(t, "/contact/"+ids[0]).want(t, http.StatusNoContent)
	u.create(t, "contact", map[string]any{"info": "replacement@example.com", "privacy": "secret"})
	u.put(t, "/trashcan/contact-"+ids[0], nil).wantProblem(t, http.StatusForbidden, "crud.limit_exceeded")
	// An admin raises the grant; the restore then works.
	in.setGrant(t, u.uid, "contacts", limit+1)
	u.put(t, "/trashcan/contact-"+ids[0], nil).want(t, http.StatusOK)
	u.post(t, "/contact", map[string]any{"info": "over@example.com"}).wantProblem(t, http.StatusForbidden, "crud.limit_exceeded")
	in.admin(t).delete(t, "/grant/"+u.uid+":contacts").want(t, http.StatusNoContent)
	if g := decode[record](t, u.get(t, "/grant/"+u.uid+":contacts").want(t, http.StatusOK)); g.str("value") != strconv.Itoa(limit) {
		t.Errorf("grant after the override was removed = %v, want %d", g, limit)
	}
}
