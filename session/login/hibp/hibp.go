package hibp

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // the API's hash: SHA-1 identifies, it does not protect
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Client checks passwords against a range API: the Pwned Passwords API of
// Have I Been Pwned, or a server that answers in its format. It is safe
// for concurrent use by multiple goroutines. Use New; the zero value is
// not usable. Its configuration cannot change after New.
type Client struct {
	url       string
	http      *http.Client
	maxBody   int64
	minCount  int64
	userAgent string
}

// New returns a Client for the Pwned Passwords API (DefaultURL), or the
// range endpoint of WithURL.
func New(opts ...Option) (*Client, error) {
	o := options{url: DefaultURL, maxBody: DefaultMaxBody, minCount: 1, userAgent: DefaultUserAgent}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.client == nil {
		// A redirect is answered as the 3xx it is (ErrUnavailable): the
		// range API never redirects, and the prefix goes nowhere else.
		o.client = &http.Client{Timeout: DefaultHTTPTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Client{url: o.url, http: o.client, maxBody: o.maxBody, minCount: o.minCount, userAgent: o.userAgent}, nil
}

// Breached reports whether password appears in the corpus at least the
// WithMinCount number of times. An error (ErrUnavailable, ErrBadResponse)
// means the check could not be made: it never stands for "not breached".
// It implements login.BreachChecker.
func (c *Client) Breached(ctx context.Context, password string) (bool, error) {
	n, err := c.Count(ctx, password)
	return err == nil && n >= c.minCount, err
}

// Count returns how many times password appears in the corpus (0: never).
// Only the first five hexadecimal digits of the password's SHA-1 leave the
// process, in the path of one GET request that asks for a padded answer
// (Add-Padding: true); the rest of the hash is compared here, and padding
// entries (count 0) never match. It returns when ctx ends, with an error
// wrapping ErrUnavailable and ctx.Err().
func (c *Client) Count(ctx context.Context, password string) (int64, error) {
	sum := sha1.Sum([]byte(password)) //nolint:gosec // the API's hash
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := hash[:5], hash[5:]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+prefix, nil)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, unavailable(ctx, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%w: status %d", ErrUnavailable, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return 0, unavailable(ctx, err)
	}
	if int64(len(body)) > c.maxBody {
		return 0, fmt.Errorf("%w: answer larger than %d bytes", ErrBadResponse, c.maxBody)
	}
	return parseRange(body, suffix)
}

// unavailable wraps a transport error, and the context's error when the
// context ended (a timeout, a cancelled request).
func unavailable(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, cerr)
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// Lengths of a range answer's line: a 35-digit hash suffix, a colon and a
// count of at most 18 digits (under 2^63).
const (
	suffixLen   = 35
	maxCountLen = 18
)

var errLine = errors.New("not SUFFIX:COUNT")

// parseRange returns the count of suffix (35 upper-case hexadecimal
// digits) in a range answer: lines SUFFIX:COUNT, separated by CRLF (or
// LF), suffixes of either case, an empty last line allowed. Entries with a
// count of 0 are padding and never match. Any other line makes the whole
// answer ErrBadResponse, naming the line's number (never its content).
func parseRange(body []byte, suffix string) (int64, error) {
	var count int64
	for n := 1; len(body) > 0; n++ {
		// A newline that ends the last line leaves body empty: the loop
		// ends without an empty line to refuse.
		line, rest, _ := bytes.Cut(body, []byte{'\n'})
		body = rest
		line = bytes.TrimSuffix(line, []byte{'\r'})
		s, c, err := parseLine(line)
		if err != nil {
			return 0, fmt.Errorf("%w: line %d: %w", ErrBadResponse, n, err)
		}
		if c > count && bytes.EqualFold(s, []byte(suffix)) {
			count = c
		}
	}
	return count, nil
}

// parseLine splits one SUFFIX:COUNT line.
func parseLine(line []byte) (suffix []byte, count int64, err error) {
	if len(line) < suffixLen+2 || len(line) > suffixLen+1+maxCountLen || line[suffixLen] != ':' {
		return nil, 0, errLine
	}
	suffix, digits := line[:suffixLen], line[suffixLen+1:]
	for _, b := range suffix {
		if !('0' <= b && b <= '9' || 'A' <= b && b <= 'F' || 'a' <= b && b <= 'f') {
			return nil, 0, errLine
		}
	}
	for _, b := range digits {
		if b < '0' || b > '9' {
			return nil, 0, errLine
		}
	}
	count, err = strconv.ParseInt(string(digits), 10, 64)
	if err != nil { // unreachable with at most 18 digits
		return nil, 0, errLine
	}
	return suffix, count, nil
}
