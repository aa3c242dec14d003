package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ContentType is the media type of a problem details body.
const ContentType = "application/problem+json"

// Problem is an RFC 9457 problem details object. Title and Detail are for
// people and must never carry internal error text, SQL, or whether an
// account or record exists.
type Problem struct {
	Type     string `json:"type,omitempty"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Field names the request field at fault, for 400 responses.
	Field string `json:"field,omitempty"`
	// Code is a stable, machine-readable message id (for example
	// "crud.not_found") that clients and message catalogs can key on.
	Code string `json:"code,omitempty"`
}

// New returns a Problem with status and its standard title.
func New(status int, detail string) Problem {
	return Problem{Status: status, Title: http.StatusText(status), Detail: detail}
}

// Write sends p with its status code. The body is not cacheable.
func Write(w http.ResponseWriter, p Problem) {
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	body, err := json.Marshal(p)
	if err != nil { // cannot happen for this struct of strings and an int
		body = []byte(`{"title":"Internal Server Error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// Error writes a problem with status, its standard title and detail.
func Error(w http.ResponseWriter, status int, detail string) {
	Write(w, New(status, detail))
}
