package i18n

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

const problemType = "application/problem+json"

// Middleware localizes problem+json responses (see the package doc).
// accountLocale returns the locale the caller's account has set, or "" when
// there is none; it may be nil. Other responses pass through untouched and
// unbuffered.
func (c *Catalog) Middleware(accountLocale func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			lw := &localizingWriter{ResponseWriter: w, c: c, r: r, accountLocale: accountLocale}
			next.ServeHTTP(lw, r)
			lw.finish()
		})
	}
}

// Locale returns the locale chosen for r: the account's setting, else the
// best Accept-Language match, else English.
func (c *Catalog) Locale(r *http.Request, accountLocale func(*http.Request) string) string {
	return c.tags[c.requestLang(r, accountLocale)].String()
}

func (c *Catalog) requestLang(r *http.Request, accountLocale func(*http.Request) string) int {
	var account string
	if accountLocale != nil {
		account = accountLocale(r)
	}
	return c.match(account, r.Header.Get("Accept-Language"))
}

type localizingWriter struct {
	http.ResponseWriter
	c             *Catalog
	r             *http.Request
	accountLocale func(*http.Request) string

	status    int
	buffering bool
	buf       bytes.Buffer
}

func (w *localizingWriter) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	ct := w.Header().Get("Content-Type")
	if strings.HasPrefix(ct, problemType) {
		w.buffering = true // written in finish, once the body is known
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *localizingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.buffering {
		return w.buf.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *localizingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends buffered problem bodies as they are (untranslated) and
// flushes the underlying writer.
func (w *localizingWriter) Flush() {
	if w.buffering {
		w.finish()
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *localizingWriter) finish() {
	if !w.buffering {
		return
	}
	w.buffering = false
	body := w.localize(w.buf.Bytes())
	h := w.Header()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.ResponseWriter.WriteHeader(w.status)
	_, _ = w.ResponseWriter.Write(body)
}

// localize rewrites title and detail of a problem body; a body that is not
// a JSON object is returned unchanged.
func (w *localizingWriter) localize(body []byte) []byte {
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		return body
	}
	lang := w.c.requestLang(w.r, w.accountLocale)
	args := make(map[string]string, len(p))
	for k, v := range p {
		switch x := v.(type) {
		case string:
			args[k] = x
		case float64:
			args[k] = strconv.FormatFloat(x, 'f', -1, 64)
		}
	}
	changed := false
	if status, ok := p["status"].(float64); ok {
		if t, ok := w.c.message(lang, "http."+strconv.Itoa(int(status)), args); ok {
			p["title"] = t
			changed = true
		}
	}
	if code, ok := p["code"].(string); ok {
		if d, ok := w.c.message(lang, code, args); ok {
			p["detail"] = d
			changed = true
		}
	}
	if !changed {
		return body
	}
	out, err := json.Marshal(p)
	if err != nil {
		return body
	}
	w.Header().Set("Content-Language", w.c.tags[lang].String())
	return out
}
