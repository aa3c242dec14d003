package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// buildPlainBinary builds the service without the race detector, whose
// own memory would drown what the memory tests measure.
var buildPlainBinary = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(e2eDir, "contacts-norace")
	out, err := exec.Command(goTool(), "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

// plainBinary returns the service built without the race detector.
func plainBinary(t *testing.T) string {
	t.Helper()
	binary(t) // skips in -short mode
	if !serverRace() {
		return binary(t)
	}
	bin, err := buildPlainBinary()
	if err != nil {
		t.Fatalf("building the contacts binary: %v", err)
	}
	return bin
}

// peakRSS returns the peak resident set size of the instance's process
// so far (VmHWM of /proc/<pid>/status), in MiB.
func (in *instance) peakRSS(t *testing.T) float64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", in.cmd.Process.Pid))
	if err != nil {
		t.Skipf("skipping: no /proc to read the peak RSS from: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kib / 1024
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", in.cmd.Process.Pid)
	return 0
}

// at runs n requests at once and counts the answers by status; every
// answer goes to check as well.
func at(n int, req func(i int) *response, check func(r *response)) map[int]int {
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			r := req(i)
			mu.Lock()
			defer mu.Unlock()
			counts[r.status]++
			if check != nil {
				check(r)
			}
		})
	}
	close(start)
	wg.Wait()
	return counts
}

// badLogins sends n logins with wrong passwords at once, spread over
// addrs client addresses (X-Forwarded-For from the trusted proxy), and
// returns the answers by status. A 503 must be session.busy with
// Retry-After.
func badLogins(t *testing.T, in *instance, n, addrs int) map[int]int {
	clients := make([]*client, addrs)
	for i := range clients {
		clients[i] = in.anonymous()
	}
	return at(n, func(i int) *response {
		body := map[string]string{"username": fmt.Sprintf("nobody-%d", i), "password": "Wrong-Password-12345"}
		r, err := clients[i%addrs].try(t, http.MethodPost, "/auth", body)
		if err != nil {
			t.Errorf("POST /auth: %v", err)
			return &response{} // status 0
		}
		return r
	}, func(r *response) {
		if r.status == http.StatusServiceUnavailable && (r.header.Get("Retry-After") != "1" || !strings.Contains(string(r.body), `"code":"session.busy"`)) {
			t.Errorf("503 without Retry-After 1 and code session.busy: %s %v", r, r.header)
		}
	})
}

// TestPasswordHashingIsBounded (issue 15.3): argon2id takes 19 MiB per
// verification, and nothing bounded how many ran at once: 300 concurrent
// bad logins took the service to 5.7 GiB resident. Now the real binary
// (built without the race detector, whose own memory would drown the
// figure) stays under 500 MiB, answers what it cannot hash in time with
// 503 session.busy and Retry-After, and still lets correct logins that
// arrive together through. The floods are sized so that, unbounded, they
// would need several times the 500 MiB (100 × 19 MiB at least), and small
// enough to stay quick on a loaded 2-core machine.
func TestPasswordHashingIsBounded(t *testing.T) {
	bin := plainBinary(t)
	t.Run("default bound", func(t *testing.T) {
		d := sqliteDeployment(t)
		d.bin = bin
		in := d.start(t, "contacts", "APICRUD_PASSWORD_HASH_WAIT=2s") // the default
		u := in.newAccount(t, "crowd")
		got := at(30, func(int) *response {
			return u.post(t, "/auth", map[string]string{"username": u.username, "password": u.password})
		}, nil)
		t.Logf("30 concurrent correct logins to one account: %v", got)
		if got[http.StatusCreated] != 30 {
			t.Errorf("30 concurrent correct logins to one account: %v, want 30 × 201", got)
		}
		floodUnderBound(t, in, 300, false)
	})
	t.Run("long wait", func(t *testing.T) {
		d := sqliteDeployment(t)
		d.bin = bin
		in := d.start(t, "contacts", "APICRUD_PASSWORD_HASH_WAIT=60s")
		// 60 correct logins at once from one address (a NAT), 6 to each of
		// 10 accounts: more than the address's failure budget, and only
		// failures count toward a lock (issue 15.2).
		ip := in.d.nextIP()
		users := make([]*client, 10)
		for i := range users {
			users[i] = in.newAccount(t, "nat").fromIP(ip)
		}
		got := at(60, func(i int) *response {
			u := users[i%len(users)]
			return u.post(t, "/auth", map[string]string{"username": u.username, "password": u.password})
		}, nil)
		t.Logf("60 concurrent correct logins from one address: %v", got)
		if got[http.StatusCreated] != 60 {
			t.Errorf("60 concurrent correct logins from one address: %v, want 60 × 201", got)
		}
		users[0].post(t, "/auth", map[string]string{"username": users[0].username, "password": "Wrong-Password-12345"}).
			wantProblem(t, http.StatusUnauthorized, "session.invalid_credentials") // no lock on the address
		users[1].post(t, "/auth", map[string]string{"username": users[1].username, "password": users[1].password}).want(t, http.StatusCreated)
		// Every one of the bad logins is now checked, within the bound.
		floodUnderBound(t, in, 100, true)
	})
	t.Run("503 when no slot comes free", func(t *testing.T) {
		d := sqliteDeployment(t)
		d.bin = bin
		in := d.start(t, "contacts", "APICRUD_PASSWORD_HASH_CONCURRENCY=1", "APICRUD_PASSWORD_HASH_WAIT=1ms")
		got := badLogins(t, in, 20, 20)
		if got[http.StatusServiceUnavailable] == 0 || got[http.StatusServiceUnavailable]+got[http.StatusUnauthorized] != 20 {
			t.Errorf("20 concurrent bad logins with one slot and no wait: %v, want some 503 and 401 for the rest", got)
		}
	})
}

// floodUnderBound sends n bad logins at once from n/3 addresses and checks
// the answers (401, or 503 unless all401) and the peak resident memory.
func floodUnderBound(t *testing.T, in *instance, n int, all401 bool) {
	t.Helper()
	before := in.peakRSS(t)
	got := badLogins(t, in, n, n/3)
	peak := in.peakRSS(t)
	t.Logf("%d concurrent bad logins from %d addresses: %v; peak RSS %.0f MiB (%.0f MiB before)", n, n/3, got, peak, before)
	if got[http.StatusUnauthorized]+got[http.StatusServiceUnavailable] != n || all401 && got[http.StatusUnauthorized] != n {
		t.Errorf("answers %v, want %d × 401 or 503 (all 401 with a long wait)", got, n)
	}
	if peak >= 500 {
		t.Errorf("peak RSS %.0f MiB, want under 500 MiB", peak)
	}
}
