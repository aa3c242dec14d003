package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/internal/testenv"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
)

// registryBody is GET /registry.
type registryBody struct {
	Instances []struct {
		Service string `json:"service"`
		ID      string `json:"id"`
		Port    int    `json:"port"`
	} `json:"instances"`
	URLMap map[string]string `json:"url_map"`
}

// registered returns the ids GET /registry on in lists.
func registered(t *testing.T, in *instance) []string {
	t.Helper()
	var ids []string
	for _, i := range decode[registryBody](t, in.admin(t).get(t, "/registry").want(t, http.StatusOK)).Instances {
		if i.Service != "main" {
			t.Errorf("registry entry %+v: want service main", i)
		}
		ids = append(ids, i.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestTwoInstancesAreOneService runs two instances on different ports on
// one PostgreSQL schema and one Redis prefix (the second with
// metrics_shared off), started at the same time so that they bootstrap the
// schema and the admin account concurrently, and checks that clients
// cannot tell them apart.
//
// It runs on a single Redis and on a Redis Cluster.
func TestTwoInstancesAreOneService(t *testing.T) {
	binary(t)
	t.Parallel()
	for _, topology := range []string{testenv.RedisSingleNode, testenv.RedisClustered} {
		t.Run(topology, func(t *testing.T) {
			t.Parallel()
			testTwoInstancesAreOneService(t, postgresRedisDeploymentOn(t, topology))
		})
	}
}

func testTwoInstancesAreOneService(t *testing.T, d *deployment) {
	a := d.launch(t, "instance A")
	b := d.launch(t, "instance B", "APICRUD_METRICS_SHARED=false")
	a.ready(t)
	b.ready(t)
	if a.id == b.id || a.id == "" {
		t.Fatalf("instance ids %q and %q: want two distinct ids", a.id, b.id)
	}

	t.Run("in parallel", func(t *testing.T) {
		t.Run("both instances appear in the registry of either", func(t *testing.T) {
			t.Parallel()
			want := []string{a.id, b.id}
			slices.Sort(want)
			for _, in := range []*instance{a, b} {
				if got := registered(t, in); !slices.Equal(want, got) {
					t.Errorf("GET /registry on %s = %v, want %v", in.name, got, want)
				}
			}
			in := decode[registryBody](t, b.admin(t).get(t, "/registry").want(t, http.StatusOK))
			if in.URLMap["contact"] == "" {
				t.Errorf("url_map = %v, want the resources", in.URLMap)
			}
			b.newUser(t, "reg").get(t, "/registry").wantProblem(t, http.StatusForbidden, "")
		})
		t.Run("a session made on one instance is valid on the other, and its logout on both", func(t *testing.T) {
			t.Parallel()
			u := a.newUser(t, "roamer")
			onB := u.on(b)
			id := onB.create(t, "contact", map[string]any{"info": "roamer@example.com", "privacy": "secret"})
			u.get(t, "/contact/"+id).want(t, http.StatusOK)
			second := u.fromIP(u.ip)
			second.login(t)
			onB.delete(t, "/auth").want(t, http.StatusNoContent)
			cacheBound()
			u.get(t, "/contact/"+id).wantProblem(t, http.StatusUnauthorized, "session.invalid_token")
			onB.get(t, "/contact/"+id).wantProblem(t, http.StatusUnauthorized, "session.invalid_token")
			second.on(b).get(t, "/contact/"+id).want(t, http.StatusOK)
		})
		t.Run("a password changed on one instance ends the sessions on both", func(t *testing.T) {
			t.Parallel()
			u := a.newUser(t, "changer")
			other := u.fromIP(u.ip).on(b)
			other.username, other.password = u.username, u.password
			other.login(t)
			u.put(t, "/account/password", map[string]string{"old_password": u.password, "password": "Brand-New-Passphrase-5"}).want(t, http.StatusNoContent)
			cacheBound()
			other.get(t, "/person/"+u.uid).wantProblem(t, http.StatusUnauthorized, "session.invalid_token")
		})
		t.Run("membership roles refreshed by one instance hold on the other", func(t *testing.T) {
			t.Parallel()
			owner := a.newUser(t, "host")
			guest := b.newUser(t, "guest")
			listID := owner.create(t, "list", map[string]any{"name": "shared-" + randomText(6), "privacy": "secret"})
			c := owner.create(t, "contact", map[string]any{"info": "m@example.com", "privacy": "member", "list_id": listID})
			guest.get(t, "/contact/"+c).wantProblem(t, http.StatusNotFound, "crud.not_found")
			owner.put(t, "/list/"+listID+"/member/"+guest.uid, map[string]string{"level": "member"}).want(t, http.StatusNoContent)
			cacheBound()
			guest.get(t, "/contact/"+c).want(t, http.StatusOK)
		})
		t.Run("settings changed on one instance apply on the other at once", func(t *testing.T) {
			t.Parallel()
			u := a.newUser(t, "settler")
			onB := u.on(b)
			onB.get(t, "/settings/"+u.uid).want(t, http.StatusOK) // cached on B
			u.put(t, "/settings/"+u.uid, map[string]any{"default_privacy": "manager", "locale": "de"}).want(t, http.StatusOK)
			id := onB.create(t, "contact", map[string]any{"info": "s@example.com"})
			if got := decode[Contact](t, onB.get(t, "/contact/"+id).want(t, http.StatusOK)).Privacy; got != "manager" {
				t.Errorf("contact created on B after the setting changed on A: privacy %q, want manager", got)
			}
			if p := onB.get(t, "/contact/x-"+randomText(16)).wantProblem(t, http.StatusNotFound, ""); p.Title != "Nicht gefunden" {
				t.Errorf("B's error for an account switched to German on A: title %q", p.Title)
			}
		})
		t.Run("the rate limit is shared: N requests pass across both together", func(t *testing.T) {
			t.Parallel()
			u := a.newUser(t, "limited")
			const limit = 6
			a.setGrant(t, u.uid, "ratelimit", limit)
			onB := u.on(b)
			for i := range limit {
				who := u
				if i%2 == 1 {
					who = onB
				}
				who.get(t, "/contact").want(t, http.StatusOK)
			}
			u.get(t, "/contact").wantProblem(t, http.StatusTooManyRequests, "ratelimit.exceeded")
			onB.get(t, "/contact").wantProblem(t, http.StatusTooManyRequests, "ratelimit.exceeded")
		})
		t.Run("the daily message credit is shared", func(t *testing.T) {
			t.Parallel()
			u := a.newUser(t, "poster")
			const credit = 3
			a.setGrant(t, u.uid, "message_daily_total", credit)
			onB := u.on(b)
			for i := range credit {
				who := u
				if i%2 == 1 {
					who = onB
				}
				who.create(t, "message", map[string]any{"content": fmt.Sprintf("post %d", i), "privacy": "secret"})
			}
			onB.post(t, "/message", map[string]any{"content": "one too many", "privacy": "secret"}).wantProblem(t, http.StatusForbidden, "contacts.message_limit")
			u.post(t, "/message", map[string]any{"content": "one too many", "privacy": "secret"}).wantProblem(t, http.StatusForbidden, "contacts.message_limit")
			if l := decode[list[Message]](t, onB.get(t, "/message").want(t, http.StatusOK)); l.Count != credit {
				t.Errorf("messages stored = %d, want %d (a refused message is not stored)", l.Count, credit)
			}
		})
		t.Run("an API key revoked on one instance is refused by the other at once", func(t *testing.T) {
			t.Parallel()
			u := a.newUser(t, "keyholder")
			k := decode[apiKeyBody](t, u.post(t, "/apikey", map[string]any{"name": "k", "scopes": []string{"full"}}).want(t, http.StatusCreated))
			kb := u.withAPIKey(k.APIKey).on(b)
			kb.get(t, "/person/"+u.uid).want(t, http.StatusOK)
			u.delete(t, "/apikey/"+k.ID).want(t, http.StatusNoContent)
			kb.get(t, "/person/"+u.uid).want(t, http.StatusUnauthorized)
		})
		t.Run("a lockout on one instance holds on the other", func(t *testing.T) {
			t.Parallel()
			victim := a.newAccount(t, "locked")
			attacker := victim.fromIP(d.nextIP())
			for i := range 5 {
				target := attacker
				if i%2 == 1 {
					target = attacker.on(b)
				}
				target.post(t, "/auth", map[string]string{"username": victim.username, "password": "Wrong-" + fmt.Sprint(i) + "-Password"}).want(t, http.StatusUnauthorized)
			}
			attacker.on(b).post(t, "/auth", map[string]string{"username": victim.username, "password": victim.password}).wantProblem(t, http.StatusTooManyRequests, "session.locked")
			attacker.post(t, "/auth", map[string]string{"username": victim.username, "password": victim.password}).wantProblem(t, http.StatusTooManyRequests, "session.locked")
		})
		t.Run("Redis holds sessions sealed and links hashed, never a token", func(t *testing.T) {
			t.Parallel()
			u := a.newUser(t, "sealed")
			a.anonymous().post(t, "/account/password_reset", map[string]string{"login": u.username}).want(t, http.StatusAccepted)
			link := d.takeMail(t, u.identity, "reset")
			ctx := t.Context()
			keys, err := testenv.Keys(ctx, d.rdb, d.prefix+"session:{"+u.uid+"}:s:")
			if err != nil || len(keys) == 0 {
				t.Fatalf("session keys of %s: %v %v, want at least one", u.uid, keys, err)
			}
			for _, k := range keys {
				data, err := d.rdb.HGet(ctx, k, "d").Result()
				if err != nil {
					t.Fatalf("HGET %s d: %v", k, err)
				}
				for _, plain := range []string{u.token, u.username, `"user"`, u.uid} {
					if strings.Contains(k, u.token) || strings.Contains(data, plain) {
						t.Errorf("session %s holds %q in the clear", k, plain)
					}
				}
			}
			stored, err := d.rdb.Get(ctx, d.prefix+"session:{link:reset:"+u.uid+"}:tok").Result()
			if err != nil || stored == "" || strings.Contains(stored, link.Token) || strings.Contains(link.Token, stored) {
				t.Errorf("the outstanding reset link is stored as %q (%v): want a digest, not the token", stored, err)
			}
		})
		t.Run("only the instance with metrics_shared exposes the shared series", func(t *testing.T) {
			t.Parallel()
			ma := string(a.admin(t).get(t, "/metrics").want(t, http.StatusOK).body)
			mb := string(b.admin(t).get(t, "/metrics").want(t, http.StatusOK).body)
			if !strings.Contains(ma, "# TYPE message_daily_total") {
				t.Errorf("instance A (metrics_shared) lacks message_daily_total")
			}
			if strings.Contains(mb, "message_daily_total") {
				t.Errorf("instance B (metrics_shared=false) exposes message_daily_total")
			}
			for _, m := range []string{ma, mb} {
				if !strings.Contains(m, "api_calls_total") || !strings.Contains(m, "go_goroutines") {
					t.Errorf("an instance lacks its own series")
				}
			}
		})
	})

	t.Run("an instance that stops leaves the registry", func(t *testing.T) {
		entries, err := d.rdb.HKeys(t.Context(), d.prefix+"registry:{registry}:entries").Result()
		if err != nil || !slices.Contains(entries, "main:"+b.id) {
			t.Fatalf("registry entries in Redis = %v (%v), want main:%s among them", entries, err, b.id)
		}
		b.stop(t) // also checks that the entry is gone from Redis
		if got := registered(t, a); !slices.Equal([]string{a.id}, got) {
			t.Errorf("GET /registry after B stopped = %v, want only %s", got, a.id)
		}
		a.anonymous().get(t, "/health").want(t, http.StatusOK)
	})
	t.Run("every key is under the deployment's prefix", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys, err := testenv.Keys(ctx, d.rdb, d.prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"session:", "ratelimit:", "registry:", "metrics:"} {
			if !slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, d.prefix+want) }) {
				t.Errorf("no Redis key under %s%s", d.prefix, want)
			}
		}
	})
}

// cacheBound waits out the sessions' cache bound: a session revoked or
// changed on one instance may be served as it was by another for that
// long (sessionredis.WithCache), and not a moment more.
func cacheBound() { time.Sleep(sessionredis.DefaultCacheStaleness) }
