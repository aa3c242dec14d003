package hibp_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1" //nolint:gosec // the API's hash
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/hibp"
)

// The Client is what login consumes.
var _ login.BreachChecker = (*hibp.Client)(nil)

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s)) //nolint:gosec // the API's hash
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// corpus is a fake range API over a set of passwords and their counts: it
// answers GET /range/XXXXX as the real one does, CRLF-separated, with
// padding entries (count 0) when asked for them, and records every request
// as it arrived on the wire.
type corpus struct {
	counts map[string]int64 // by upper-case SHA-1

	mu       sync.Mutex
	requests [][]byte // raw requests, as httputil.DumpRequest sees them
}

func newCorpus(t *testing.T, counts map[string]int64) (*corpus, *httptest.Server) {
	c := &corpus{counts: map[string]int64{}}
	for pw, n := range counts {
		c.counts[sha1Hex(pw)] = n
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv
}

func (c *corpus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dump, _ := httputil.DumpRequest(r, true)
	c.mu.Lock()
	c.requests = append(c.requests, dump)
	c.mu.Unlock()
	prefix, ok := strings.CutPrefix(r.URL.Path, "/range/")
	if !ok || len(prefix) != 5 {
		http.NotFound(w, r)
		return
	}
	var lines []string
	for h, n := range c.counts {
		if h[:5] == prefix {
			lines = append(lines, fmt.Sprintf("%s:%d", h[5:], n))
		}
	}
	// Real entries that merely share the prefix.
	for i := range 20 {
		lines = append(lines, fmt.Sprintf("%035X:%d", i*7919+1, i+1))
	}
	if r.Header.Get("Add-Padding") == "true" {
		for i := range 800 {
			lines = append(lines, fmt.Sprintf("%035X:0", 0xFFFFFFFF-i))
		}
	}
	fmt.Fprint(w, strings.Join(lines, "\r\n"))
}

func (c *corpus) dumps() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.requests...)
}

func newClient(t *testing.T, base string, opts ...hibp.Option) *hibp.Client {
	t.Helper()
	c, err := hibp.New(append([]hibp.Option{hibp.WithURL(base + "/range/")}, opts...)...)
	require.NoError(t, err)
	return c
}

// TestCount: counts of breached passwords, 0 for the others, and a
// password's own hash listed as padding (count 0) is not a match.
func TestCount(t *testing.T) {
	_, srv := newCorpus(t, map[string]int64{"password": 52256179, "Tr0ub4dor&3": 3, "padded-only-entry 4711": 0})
	c := newClient(t, srv.URL)
	for _, tt := range []struct {
		password string
		want     int64
	}{
		{"password", 52256179},
		{"Tr0ub4dor&3", 3},
		{"tr0ub4dor&3", 0}, // another hash
		{"padded-only-entry 4711", 0},
		{"correct horse battery staple 8812", 0},
		{"", 0},
		{"пароль-ünïcödé-密码", 0},
	} {
		got, err := c.Count(t.Context(), tt.password)
		require.NoError(t, err, tt.password)
		require.Equal(t, tt.want, got, tt.password)
		breached, err := c.Breached(t.Context(), tt.password)
		require.NoError(t, err)
		require.Equal(t, tt.want > 0, breached, tt.password)
	}

	strict := newClient(t, srv.URL, hibp.WithMinCount(10))
	breached, err := strict.Breached(t.Context(), "Tr0ub4dor&3")
	require.NoError(t, err)
	require.False(t, breached, "3 appearances are under a min count of 10")
	breached, err = strict.Breached(t.Context(), "password")
	require.NoError(t, err)
	require.True(t, breached)
}

var prefixPath = regexp.MustCompile(`^GET /range/[0-9A-F]{5} HTTP/1\.1\r\n`)

// TestKAnonymity: of the password, only the first five hexadecimal
// digits of its SHA-1 leave the process: the request line carries them
// and nothing else, the headers are the padding request, the User-Agent
// and Go's Accept-Encoding, there is no body, and neither the password,
// nor the rest of its hash (in either case), nor the whole hash appears
// anywhere in what the server received.
func TestKAnonymity(t *testing.T) {
	c, srv := newCorpus(t, map[string]int64{"password": 1})
	cl := newClient(t, srv.URL)
	passwords := []string{"password", "Another-Secret-Passphrase-0042", "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"}
	for _, pw := range passwords {
		_, err := cl.Count(t.Context(), pw)
		require.NoError(t, err)
	}
	dumps := c.dumps()
	require.Len(t, dumps, len(passwords))
	for i, pw := range passwords {
		raw := dumps[i]
		hash := sha1Hex(pw)
		require.Regexp(t, prefixPath, string(raw))
		require.True(t, bytes.HasPrefix(raw, []byte("GET /range/"+hash[:5]+" HTTP/1.1\r\n")), "request %d: %q", i, raw)
		for _, secret := range []string{hash[5:], strings.ToLower(hash[5:]), hash[5:15], strings.ToLower(hash[5:15])} {
			require.NotContains(t, string(raw), secret, "request %d leaks its hash", i)
		}
		if pw != passwords[2] { // the third password is the first one's hash: its own text is its prefix
			require.NotContains(t, string(raw), pw)
		}
		head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
		require.Empty(t, body, "request %d has a body", i)
		lines := strings.Split(string(head), "\r\n")[1:]
		names := map[string]string{}
		for _, l := range lines {
			k, v, ok := strings.Cut(l, ": ")
			require.True(t, ok, l)
			names[http.CanonicalHeaderKey(k)] = v
		}
		require.Equal(t, "true", names["Add-Padding"])
		require.Equal(t, hibp.DefaultUserAgent, names["User-Agent"])
		delete(names, "Add-Padding")
		delete(names, "User-Agent")
		delete(names, "Accept-Encoding")
		delete(names, "Host")
		require.Empty(t, names, "request %d sends more headers", i)
	}
}

// answer is a server that answers every request with fn.
func answer(t *testing.T, fn http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(fn)
	t.Cleanup(srv.Close)
	return srv
}

// TestFailures: every answer that is not a range answer is an error
// (never "not breached"), and the error says nothing of the password.
func TestFailures(t *testing.T) {
	const pw = "Failing-Password-9931"
	bomb := gzipBomb() // before any server: it takes a while under -race
	hash := sha1Hex(pw)
	valid := hash[5:] + ":12\r\n"
	for _, tt := range []struct {
		name string
		fn   http.HandlerFunc
		want error
	}{
		{"500", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, valid, http.StatusInternalServerError) }, hibp.ErrUnavailable},
		{"503", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }, hibp.ErrUnavailable},
		{"429", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }, hibp.ErrUnavailable},
		{"404", http.NotFound, hibp.ErrUnavailable},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
		}, hibp.ErrUnavailable},
		{"204", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }, hibp.ErrUnavailable},
		{"HTML", func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, "<!DOCTYPE html><html><body>Attention Required! | Cloudflare</body></html>")
		}, hibp.ErrBadResponse},
		{"JSON", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"error":"nope"}`) }, hibp.ErrBadResponse},
		{"garbage after the match", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, valid+"\x00\xff\xfe garbage") }, hibp.ErrBadResponse},
		{"negative count", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, hash[5:]+":-1") }, hibp.ErrBadResponse},
		{"short suffix", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, hash[6:]+":3") }, hibp.ErrBadResponse},
		{"whole hash", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, hash+":3") }, hibp.ErrBadResponse},
		{"truncated", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "4096")
			fmt.Fprint(w, valid)
		}, hibp.ErrUnavailable},
		{"huge", func(w http.ResponseWriter, r *http.Request) {
			line := []byte(fmt.Sprintf("%035X:1\r\n", 1))
			for range 1 << 20 { // 40 MiB of valid lines, if anyone read them
				if _, err := w.Write(line); err != nil {
					return
				}
			}
		}, hibp.ErrBadResponse},
		{"one endless line", func(w http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte("A"), 64<<10)
			for range 256 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, hibp.ErrBadResponse},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			// 4 MiB of zeros in a few KiB: Go's transport inflates it
			// transparently; the limit applies after inflating.
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(bomb)
		}, hibp.ErrBadResponse},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, answer(t, tt.fn).URL)
			n, err := c.Count(t.Context(), pw)
			require.ErrorIs(t, err, tt.want)
			require.Zero(t, n)
			breached, err := c.Breached(t.Context(), pw)
			require.ErrorIs(t, err, tt.want)
			require.False(t, breached)
			for _, secret := range []string{pw, hash[5:], strings.ToLower(hash[5:])} {
				require.NotContains(t, err.Error(), secret)
			}
		})
	}

	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		_, err := newClient(t, srv.URL).Count(t.Context(), pw)
		require.ErrorIs(t, err, hibp.ErrUnavailable)
	})
}

// gzipBomb is 4 MiB of zeros, gzipped.
var gzipBomb = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write(make([]byte, 4<<20))
	_ = zw.Close()
	return buf.Bytes()
})

// countingBody is an endless response body that counts what was read.
type countingBody struct{ read atomic.Int64 }

func (b *countingBody) Read(p []byte) (int, error) {
	line := fmt.Sprintf("%035X:1\r\n", 1)
	n := 0
	for n+len(line) <= len(p) {
		n += copy(p[n:], line)
	}
	if n == 0 {
		n = copy(p, line[:len(p)])
	}
	b.read.Add(int64(n))
	return n, nil
}

func (b *countingBody) Close() error { return nil }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestBoundedRead: an endless answer is read up to the limit and not a
// byte further (give or take one read's buffer).
func TestBoundedRead(t *testing.T) {
	body := &countingBody{}
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: body, Header: http.Header{}, Request: r}, nil
	})}
	c, err := hibp.New(hibp.WithHTTPClient(hc), hibp.WithMaxBody(64<<10))
	require.NoError(t, err)
	_, err = c.Count(t.Context(), "anything at all")
	require.ErrorIs(t, err, hibp.ErrBadResponse)
	require.GreaterOrEqual(t, body.read.Load(), int64(64<<10))
	require.LessOrEqual(t, body.read.Load(), int64(64<<10)+32<<10, "read past the limit")
}

// TestSlow: a server that does not answer, or stops in the middle of its
// answer, makes the check fail when the caller's context ends, not later.
func TestSlow(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	for _, tt := range []struct {
		name string
		fn   http.HandlerFunc
	}{
		{"no headers", hang},
		{"half an answer", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%035X:1\r\n", 1)
			w.(http.Flusher).Flush()
			hang(w, r)
		}},
		{"a trickle", func(w http.ResponseWriter, r *http.Request) {
			for {
				if _, err := w.Write([]byte("0")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-release:
					return
				case <-r.Context().Done():
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, answer(t, tt.fn).URL)
			ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
			defer cancel()
			start := time.Now()
			breached, err := c.Breached(ctx, "Slow-Answer-Password-77")
			require.ErrorIs(t, err, hibp.ErrUnavailable)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.False(t, breached)
			require.Less(t, time.Since(start), 5*time.Second, "the check outlived its context")
		})
	}
}

func TestOptions(t *testing.T) {
	for _, opt := range []hibp.Option{
		hibp.WithURL(""), hibp.WithURL("ftp://x/"), hibp.WithURL("/range/"), hibp.WithURL("https://u:p@x/"),
		hibp.WithURL("https://x/range?mode=ntlm"), hibp.WithURL("https://x/#f"), hibp.WithURL("https://"),
		hibp.WithHTTPClient(nil), hibp.WithMaxBody(0), hibp.WithMaxBody(1 << 30), hibp.WithMinCount(0),
		hibp.WithUserAgent(""), hibp.WithUserAgent("a\r\nX-Injected: 1"), hibp.WithUserAgent(strings.Repeat("a", 257)),
	} {
		_, err := hibp.New(opt)
		require.ErrorIs(t, err, hibp.ErrOption)
	}
	c, err := hibp.New(nil, hibp.WithURL("http://127.0.0.1:1/mirror"), hibp.WithUserAgent("my-service/1.0"))
	require.NoError(t, err)
	require.NotNil(t, c)
}

// TestURLWithoutSlash: WithURL adds the "/" before the prefix.
func TestURLWithoutSlash(t *testing.T) {
	var path atomic.Value
	srv := answer(t, func(w http.ResponseWriter, r *http.Request) { path.Store(r.URL.Path) })
	c, err := hibp.New(hibp.WithURL(srv.URL + "/mirror"))
	require.NoError(t, err)
	_, err = c.Count(t.Context(), "password")
	require.NoError(t, err)
	require.Equal(t, "/mirror/5BAA6", path.Load())
}

// TestConcurrent: one Client serves concurrent checks.
func TestConcurrent(t *testing.T) {
	_, srv := newCorpus(t, map[string]int64{"password": 7})
	c := newClient(t, srv.URL)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			pw := "password"
			if i%2 == 1 {
				pw = fmt.Sprintf("Unique-Password-%d-xyzzy", i)
			}
			n, err := c.Count(context.Background(), pw)
			if err != nil || (n == 7) != (i%2 == 0) {
				t.Errorf("%s: %d, %v", pw, n, err)
			}
		})
	}
	wg.Wait()
}
