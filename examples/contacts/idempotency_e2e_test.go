package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// TestIdempotentRetryAfterCrash: a create commits, then the instance is
// killed (SIGKILL) before its answer reaches the client
// (test_sleep_after_commit holds the answer); the client retries on
// another instance with the same Idempotency-Key and body and gets the first
// answer, and the record exists once. Without the key the same retry makes
// a duplicate. The same key with another body answers 422.
func TestIdempotentRetryAfterCrash(t *testing.T) {
	binary(t)
	t.Parallel()
	d := postgresRedisDeployment(t)
	b := d.start(t, "instance B")
	u := b.newUser(t, "retrier")
	a := d.start(t, "instance A (dies after commit)", "APICRUD_TEST_SLEEP_AFTER_COMMIT=30s")
	onA := u.on(a)

	count := func(info string) int {
		return decode[list[record]](t, u.get(t, "/contact"+filterQuery(map[string]any{"info": info})).want(t, http.StatusOK)).Count
	}
	crash := func(info string, hdr ...string) {
		t.Helper()
		sent := make(chan error, 1)
		go func() {
			_, err := onA.try(t, http.MethodPost, "/contact", map[string]any{"info": info, "privacy": "secret"}, hdr...)
			sent <- err
		}()
		deadline := time.Now().Add(30 * time.Second)
		for count(info) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("the create of %s was not committed within 30 s", info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		a.kill() // committed; the answer is still held back
		if err := <-sent; err == nil {
			t.Fatalf("the client got an answer from the killed instance")
		}
	}

	const key = `"3f1c2a9e-retry-after-crash"`
	crash("kept@example.com", "Idempotency-Key", key)
	retry := u.post(t, "/contact", map[string]any{"info": "kept@example.com", "privacy": "secret"}, "Idempotency-Key", key).want(t, http.StatusCreated)
	if got := retry.header.Get("Idempotent-Replayed"); got != "true" {
		t.Errorf("the retry ran again (Idempotent-Replayed %q): %s", got, retry)
	}
	var first struct{ ID string }
	if err := json.Unmarshal(retry.body, &first); err != nil || first.ID == "" {
		t.Fatalf("retry answer %s: %v", retry, err)
	}
	if n := count("kept@example.com"); n != 1 {
		t.Errorf("%d records after the retry, want 1", n)
	}
	u.get(t, "/contact/"+first.ID).want(t, http.StatusOK)
	u.post(t, "/contact", map[string]any{"info": "other@example.com", "privacy": "secret"}, "Idempotency-Key", key).wantProblem(t, http.StatusUnprocessableEntity, "idempotency.key_reused")

	// The same crash and retry without a key: the duplicate the key prevents.
	a2 := d.start(t, "instance A2 (dies after commit)", "APICRUD_TEST_SLEEP_AFTER_COMMIT=30s")
	a, onA = a2, u.on(a2)
	crash("twice@example.com")
	u.post(t, "/contact", map[string]any{"info": "twice@example.com", "privacy": "secret"}).want(t, http.StatusCreated)
	if n := count("twice@example.com"); n != 2 {
		t.Errorf("%d records after a retry without a key, want the duplicate (2)", n)
	}
}
