package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// sessionsAnswer is the body of GET /auth/sessions, decoded strictly
// enough to see a field that should not be there.
type sessionsAnswer struct {
	Items []map[string]any `json:"items"`
	Count int              `json:"count"`
}

// TestDevices drives the sessions endpoints on both configurations, with
// the last use recorded at most once a second instead of once a minute:
// logins from three devices are listed with their address and user agent,
// the last use follows a device to another address, a user revokes one
// session and then all but the current one, and another user's session id
// is the same 404 as an unknown one. A third instance runs with
// session_ips: false and records no address.
func TestDevices(t *testing.T) {
	binary(t)
	for _, cfg := range []struct {
		name string
		new  func(*testing.T) *deployment
	}{
		{"on SQLite with in-memory backends", sqliteDeployment},
		{"on PostgreSQL with Redis backends", postgresRedisDeployment},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			t.Parallel()
			in := cfg.new(t).start(t, "contacts", "APICRUD_SESSION_LAST_USE=1s")
			testDevices(t, in)
		})
	}
	t.Run("without addresses", func(t *testing.T) {
		t.Parallel()
		in := sqliteDeployment(t).start(t, "contacts", "APICRUD_SESSION_LAST_USE=1s", "APICRUD_SESSION_IPS=false")
		testDevicesWithoutAddresses(t, in)
	})
}

const (
	uaLaptop = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	uaPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5) Safari/604.1"
)

// loginFrom logs c in from address ip with user agent ua and returns a
// client holding that session.
func loginFrom(t *testing.T, c *client, ip, ua string) *client {
	t.Helper()
	d := c.fromIP(ip)
	tb := decode[tokenBody](t, d.post(t, "/auth", map[string]string{"username": c.username, "password": c.password}, "User-Agent", ua).want(t, http.StatusCreated))
	d.token, d.uid = tb.Token, tb.UID
	return d
}

// sessionsOf lists the sessions c's token sees, with user agent ua.
func sessionsOf(t *testing.T, c *client, ua string) []map[string]any {
	t.Helper()
	ans := decode[sessionsAnswer](t, c.get(t, "/auth/sessions", "User-Agent", ua).want(t, http.StatusOK))
	if ans.Count != len(ans.Items) {
		t.Fatalf("count %d for %d items", ans.Count, len(ans.Items))
	}
	return ans.Items
}

// current returns the item marked current, failing unless exactly one is.
func current(t *testing.T, items []map[string]any) map[string]any {
	t.Helper()
	var cur map[string]any
	for _, it := range items {
		if it["current"] == true {
			if cur != nil {
				t.Fatalf("two current sessions: %v", items)
			}
			cur = it
		}
	}
	if cur == nil {
		t.Fatalf("no current session: %v", items)
	}
	return cur
}

func byLoginUA(t *testing.T, items []map[string]any, ua string) map[string]any {
	t.Helper()
	for _, it := range items {
		if it["login_user_agent"] == ua {
			return it
		}
	}
	t.Fatalf("no session logged in with %q: %v", ua, items)
	return nil
}

func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %v: %v", v, err)
	}
	return at
}

func testDevices(t *testing.T, in *instance) {
	user := in.newAccount(t, "devices")
	ipLaptop, ipPhone, ipTablet, ipCafe := in.d.nextIP(), in.d.nextIP(), in.d.nextIP(), in.d.nextIP()
	laptop := loginFrom(t, user, ipLaptop, uaLaptop)
	// A hostile user agent: spaces, a tab, a bidirectional override.
	phone := loginFrom(t, user, ipPhone, "  "+uaPhone+"\t\u202eexe.txt\u202c")
	tablet := loginFrom(t, user, ipTablet, "Tablet/1.0")

	items := sessionsOf(t, laptop, uaLaptop)
	if len(items) != 3 {
		t.Fatalf("GET /auth/sessions: %d sessions, want 3: %v", len(items), items)
	}
	if cur := current(t, items); cur["login_user_agent"] != uaLaptop || cur["login_ip"] != ipLaptop || cur["method"] != "password" {
		t.Errorf("current session = %v, want the laptop's password login from %s", cur, ipLaptop)
	}
	p := byLoginUA(t, items, uaPhone+" exe.txt")
	if p["login_ip"] != ipPhone || p["ip"] != ipPhone || p["user_agent"] != uaPhone+" exe.txt" {
		t.Errorf("phone session = %v: want its address and its user agent cleaned", p)
	}
	if !parseTime(t, p["last_used"]).Equal(parseTime(t, p["created"])) {
		t.Errorf("an unused session's last use must be its login: %v", p)
	}
	for _, field := range []string{"token", "secret", "values"} {
		if _, ok := p[field]; ok {
			t.Errorf("a listed session shows %s: %v", field, p)
		}
	}

	// The phone moves to a café's network; after the recording interval
	// its next request is recorded as its last use.
	time.Sleep(1100 * time.Millisecond)
	phone.ip = ipCafe
	sessionsOf(t, phone, uaPhone+" v2")
	items = sessionsOf(t, laptop, uaLaptop)
	p = byLoginUA(t, items, uaPhone+" exe.txt")
	if p["ip"] != ipCafe || p["user_agent"] != uaPhone+" v2" || p["login_ip"] != ipPhone {
		t.Errorf("phone session after a use from %s = %v", ipCafe, p)
	}
	if !parseTime(t, p["last_used"]).After(parseTime(t, p["created"])) {
		t.Errorf("the last use did not move: %v", p)
	}
	if items[0]["id"] != current(t, items)["id"] && items[0]["id"] != p["id"] {
		t.Errorf("the most recently used come first: %v", items)
	}
	phoneID, tabletID := p["id"].(string), byLoginUA(t, items, "Tablet/1.0")["id"].(string)

	// Another user's session id is the same 404 as an unknown id or
	// garbage, and ends nothing.
	other := in.newUser(t, "other")
	otherID := current(t, sessionsOf(t, other, "Other/1"))["id"].(string)
	var bodies []string
	for _, id := range []string{otherID, strings.Repeat("A", 43), "x", "%7Bu%7D", phoneID + "A"} {
		res := laptop.delete(t, "/auth/sessions/"+id)
		res.wantProblem(t, http.StatusNotFound, "contacts.unknown_session")
		bodies = append(bodies, string(res.body))
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("404 bodies differ: %s and %s", bodies[0], b)
		}
	}
	other.get(t, "/auth/sessions").want(t, http.StatusOK)
	// The message is localized.
	de := laptop.on(in)
	de.lang = "de"
	if pb := de.delete(t, "/auth/sessions/"+otherID).wantProblem(t, http.StatusNotFound, "contacts.unknown_session"); pb.Detail != "Dieses Konto hat keine solche Sitzung." {
		t.Errorf("German detail = %q", pb.Detail)
	}

	// Revoke the phone: its token stops at once; twice is 404.
	laptop.delete(t, "/auth/sessions/"+phoneID).want(t, http.StatusNoContent)
	phone.get(t, "/auth/sessions").wantProblem(t, http.StatusUnauthorized, "")
	laptop.delete(t, "/auth/sessions/"+phoneID).wantProblem(t, http.StatusNotFound, "contacts.unknown_session")
	tablet.get(t, "/auth/sessions").want(t, http.StatusOK)

	// All but the current one: the tablet's ends, the laptop's stays.
	second := loginFrom(t, user, ipTablet, "Second/1.0")
	if got := decode[revokedBody](t, laptop.delete(t, "/auth/sessions").want(t, http.StatusOK)); got.Revoked != 2 {
		t.Errorf("DELETE /auth/sessions revoked %d, want 2", got.Revoked)
	}
	tablet.get(t, "/auth/sessions").wantProblem(t, http.StatusUnauthorized, "")
	second.get(t, "/auth/sessions").wantProblem(t, http.StatusUnauthorized, "")
	items = sessionsOf(t, laptop, uaLaptop)
	if len(items) != 1 || items[0]["current"] != true {
		t.Errorf("after DELETE /auth/sessions: %v, want the current one only", items)
	}
	laptop.delete(t, "/auth/sessions/"+tabletID).wantProblem(t, http.StatusNotFound, "contacts.unknown_session")
	other.get(t, "/auth/sessions").want(t, http.StatusOK) // another user's sessions stay

	// Without a login session: 401, for the anonymous and for an API key.
	in.anonymous().get(t, "/auth/sessions").wantProblem(t, http.StatusUnauthorized, "")
	in.anonymous().delete(t, "/auth/sessions").wantProblem(t, http.StatusUnauthorized, "")
	key := decode[apiKeyBody](t, laptop.post(t, "/apikey", map[string]any{"name": "devices", "scopes": []string{"full"}}).want(t, http.StatusCreated)).APIKey
	byKey := laptop.withAPIKey(key)
	byKey.get(t, "/auth/sessions").wantProblem(t, http.StatusUnauthorized, "")
	byKey.delete(t, "/auth/sessions").wantProblem(t, http.StatusUnauthorized, "")

	// Revoking the current session is a logout.
	laptop.delete(t, "/auth/sessions/"+current(t, items)["id"].(string)).want(t, http.StatusNoContent)
	laptop.get(t, "/auth/sessions").wantProblem(t, http.StatusUnauthorized, "")
	if strings.Contains(laptop.seen(), user.password) {
		t.Error("an answer holds the password")
	}
}

func testDevicesWithoutAddresses(t *testing.T, in *instance) {
	user := in.newAccount(t, "noaddr")
	ip := in.d.nextIP()
	laptop := loginFrom(t, user, ip, uaLaptop)
	time.Sleep(1100 * time.Millisecond)
	// This request's own use is recorded (due) before its list is read.
	cur := current(t, sessionsOf(t, laptop, uaLaptop+" later"))
	for _, field := range []string{"ip", "login_ip"} {
		if v, ok := cur[field]; ok {
			t.Errorf("session_ips: false, yet %s = %v", field, v)
		}
	}
	if cur["login_user_agent"] != uaLaptop || cur["user_agent"] != uaLaptop+" later" {
		t.Errorf("user agents = %v, %v", cur["login_user_agent"], cur["user_agent"])
	}
	if strings.Contains(laptop.seen(), ip) {
		t.Errorf("an answer holds the client address %s", ip)
	}
}
