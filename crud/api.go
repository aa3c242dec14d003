package crud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/apicrud-go/apicrud/crud/openapi"
)

// Registrable is what an API serves and documents: a *Resource[T] or a
// *Trashcan.
type Registrable interface {
	// Name returns the resource name ("trashcan" for the trashcan).
	Name() string
	// Routes registers the handlers on mux under prefix.
	Routes(mux *http.ServeMux, prefix string)

	describe(s *specBuilder)
	check(ctx context.Context) error
}

// APIOption configures an API.
type APIOption func(*API) error

// WithInfo sets the title, version and description of the OpenAPI
// document (defaults "apicrud", "0.0.0").
func WithInfo(title, version, description string) APIOption {
	return func(a *API) error {
		if title == "" || version == "" {
			return fmt.Errorf("%w: title and version are required", ErrConfig)
		}
		a.info = openapi.Info{Title: title, Version: version, Description: description}
		return nil
	}
}

// WithServers sets the server URLs listed in the OpenAPI document.
func WithServers(urls ...string) APIOption {
	return func(a *API) error {
		for _, u := range urls {
			a.servers = append(a.servers, openapi.Server{URL: u})
		}
		return nil
	}
}

// WithSecuritySchemes replaces the security schemes of the document
// (default: "bearerAuth", an HTTP bearer token, and "apiKey", the
// X-Api-Key header). Every operation requires one of them.
func WithSecuritySchemes(schemes map[string]*openapi.SecurityScheme) APIOption {
	return func(a *API) error {
		if len(schemes) == 0 {
			return fmt.Errorf("%w: no security schemes", ErrConfig)
		}
		a.schemes = schemes
		return nil
	}
}

// API groups resources (and a trashcan) under one path prefix, registers
// their routes and produces their OpenAPI 3.1 document from the same
// definitions.
type API struct {
	prefix  string
	info    openapi.Info
	servers []openapi.Server
	schemes map[string]*openapi.SecurityScheme

	tags map[string]string // tag descriptions (WithTag)

	mu        sync.RWMutex
	items     []Registrable
	endpoints []endpoint
	spec      []byte // the document as JSON, built at its first request; nil after a change
}

// NewAPI returns an API whose routes live under prefix ("" or a path such
// as "/api/v1").
func NewAPI(prefix string, opts ...APIOption) (*API, error) {
	if prefix != "" && (!strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "{} \t")) {
		return nil, fmt.Errorf("%w: prefix %q", ErrConfig, prefix)
	}
	a := &API{
		prefix: strings.TrimSuffix(prefix, "/"),
		info:   openapi.Info{Title: "apicrud", Version: "0.0.0"},
		schemes: map[string]*openapi.SecurityScheme{
			"bearerAuth": {Type: "http", Scheme: "bearer", Description: "Authorization: Bearer <token>"},
			"apiKey":     {Type: "apiKey", In: "header", Name: "X-Api-Key", Description: "an API key, prefix.secret"},
		},
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Register adds resources or a trashcan. Names must be unique.
func (a *API) Register(items ...Registrable) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, it := range items {
		if it == nil {
			return fmt.Errorf("%w: nil item", ErrConfig)
		}
		for _, have := range a.items {
			if have.Name() == it.Name() {
				return fmt.Errorf("%w: %q registered twice", ErrConfig, it.Name())
			}
		}
		a.items = append(a.items, it)
	}
	a.spec = nil
	return nil
}

func (a *API) registered() []Registrable {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.items
}

// Routes registers every registered item's routes, the endpoints given to
// Handle, and GET {prefix}/openapi.json serving Spec, on mux.
func (a *API) Routes(mux *http.ServeMux) {
	for _, it := range a.registered() {
		it.Routes(mux, a.prefix)
	}
	for _, ep := range a.described() {
		if ep.h != nil {
			handle(mux, ep.Method+" "+a.prefix+ep.Path, ep.h.ServeHTTP)
		}
	}
	handle(mux, "GET "+a.prefix+"/openapi.json", a.SpecHandler().ServeHTTP)
}

// SpecHandler serves the OpenAPI document as JSON, built once (and again
// after a Register, Handle or Describe).
func (a *API) SpecHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := a.specJSON()
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("Content-Type", jsonContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
}

// specJSON returns the document as JSON, from the cache when nothing
// changed since it was built.
func (a *API) specJSON() ([]byte, error) {
	a.mu.RLock()
	body := a.spec
	a.mu.RUnlock()
	if body != nil {
		return body, nil
	}
	body, err := json.Marshal(a.Spec())
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.spec = body
	a.mu.Unlock()
	return body, nil
}

// Spec returns the OpenAPI 3.1 document of the registered items and
// endpoints: a schema per record type (from its struct: JSON names and
// types, readOnly for what clients cannot write, enums, lengths), create
// and update body schemas that reject unknown fields, list parameters,
// problem+json responses, the security schemes, the host's endpoints and a
// tag for every operation, described by WithTag (a resource's tag has a
// default description). The host may add paths to it.
func (a *API) Spec() *openapi.Document {
	s := newSpecBuilder(a.prefix, a.schemes)
	items := a.registered()
	for _, it := range items { // resources first: the trashcan refers to their schemas
		if _, ok := it.(*Trashcan); !ok {
			it.describe(s)
		}
	}
	for _, it := range items {
		if _, ok := it.(*Trashcan); ok {
			it.describe(s)
		}
	}
	for _, ep := range a.described() {
		ep.describe(s)
	}
	doc := s.doc
	for i, t := range doc.Tags {
		if d, ok := a.tags[t.Name]; ok {
			doc.Tags[i].Description = d
		}
	}
	doc.Info = a.info
	doc.Servers = a.servers
	return doc
}
