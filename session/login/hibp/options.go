package hibp

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultURL is the range endpoint of the Pwned Passwords API; the five
// hexadecimal digits of a hash prefix are appended to it.
const DefaultURL = "https://api.pwnedpasswords.com/range/"

// DefaultMaxBody bounds the body of a range answer unless WithMaxBody says
// otherwise: 512 KiB. A padded answer of the real API holds about 800 to
// 2,000 lines of at most 50 bytes (under 100 KB); the bound stops a
// misbehaving server or a decompression bomb from filling memory.
const DefaultMaxBody = 512 << 10

// DefaultHTTPTimeout is the Timeout of the HTTP client New makes when
// WithHTTPClient is not given: a backstop for callers whose context has no
// deadline. login.BreachCheck sets a shorter deadline on every check.
const DefaultHTTPTimeout = 10 * time.Second

// DefaultUserAgent is the User-Agent header of every request unless
// WithUserAgent says otherwise.
const DefaultUserAgent = "apicrud-go-hibp"

// Option configures a Client (New).
type Option func(*options) error

type options struct {
	url       string
	client    *http.Client
	maxBody   int64
	minCount  int64
	userAgent string
}

func optionError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrOption, fmt.Sprintf(format, args...))
}

// WithURL sets the range endpoint: an absolute http or https URL to which
// the five-digit prefix is appended ("/" is added when it does not end
// with one), such as a self-hosted mirror of the range API. Default:
// DefaultURL.
func WithURL(u string) Option {
	return func(o *options) error {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil || p.RawQuery != "" || p.Fragment != "" {
			return optionError("range URL %q: need an absolute http(s) URL without user, query or fragment", u)
		}
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		o.url = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client that sends the requests (its
// transport, proxy, TLS and redirect settings). The Client never closes
// it. Default: a client with the default transport, DefaultHTTPTimeout,
// and redirects not followed (a 3xx is ErrUnavailable).
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return optionError("nil HTTP client")
		}
		o.client = c
		return nil
	}
}

// WithMaxBody sets the most bytes of an answer the Client reads (after
// decompression); a longer answer is ErrBadResponse. Default:
// DefaultMaxBody (512 KiB). n must be between 1 KiB and 64 MiB.
func WithMaxBody(n int64) Option {
	return func(o *options) error {
		if n < 1<<10 || n > 64<<20 {
			return optionError("max body %d: need 1 KiB to 64 MiB", n)
		}
		o.maxBody = n
		return nil
	}
}

// WithMinCount sets how many times a password must appear in the corpus
// to count as breached. Default: 1 (any appearance).
func WithMinCount(n int64) Option {
	return func(o *options) error {
		if n < 1 {
			return optionError("min count %d: need at least 1", n)
		}
		o.minCount = n
		return nil
	}
}

// WithUserAgent sets the User-Agent header of the requests (the API asks
// clients to identify themselves). Default: DefaultUserAgent.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if ua == "" || len(ua) > 256 || strings.ContainsAny(ua, "\r\n") {
			return optionError("user agent %q: need 1 to 256 characters on one line", ua)
		}
		o.userAgent = ua
		return nil
	}
}
