package authzen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
	"github.com/apicrud-go/apicrud/problem"
)

// Paths the Handler serves, relative to where it is mounted.
const (
	PathEvaluation  = "/access/v1/evaluation"
	PathEvaluations = "/access/v1/evaluations"
	PathMetadata    = "/.well-known/authzen-configuration"
)

// Defaults of the options.
const (
	DefaultMaxBody        = 64 << 10
	DefaultMaxEvaluations = 64
)

// Problem codes of the error answers.
const (
	CodeBadRequest = "authzen.bad_request"
	CodeMethod     = "authzen.method_not_allowed"
	CodeMediaType  = "authzen.unsupported_media_type"
	CodeTooLarge   = "authzen.too_large"
	CodeNotFound   = "authzen.not_found"
	CodeSubject    = "authzen.subject_unresolved"
)

// ErrOption is returned by New for an invalid option.
var ErrOption = errors.New("authzen: invalid option")

// Subject, Action, Resource and Context are the four objects of an
// access evaluation request.
type (
	// Subject is who asks: Type ("user"), ID (the uid) and Properties;
	// see WithSubjects for how it becomes a principal.
	Subject struct {
		Type       string         `json:"type"`
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties,omitempty"`
	}
	// Action is what is asked: Name, an action letter ("r") or word
	// ("read", "can_read").
	Action struct {
		Name       string         `json:"name"`
		Properties map[string]any `json:"properties,omitempty"`
	}
	// Resource is what it is asked on: Type is the policy's resource, ID
	// the record's id, Properties its owner, privacy, membership
	// attributes and fields.
	Resource struct {
		Type       string         `json:"type"`
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties,omitempty"`
	}
	// Context is the request's environment; "time" (RFC 3339) is @now.
	Context map[string]any
)

// evaluation is one evaluation, each object possibly omitted in a batch
// item (the request's defaults fill it).
type evaluation struct {
	Subject  *Subject  `json:"subject"`
	Action   *Action   `json:"action"`
	Resource *Resource `json:"resource"`
	Context  Context   `json:"context"`
}

type evaluationsRequest struct {
	evaluation
	Evaluations []evaluation `json:"evaluations"`
	Options     struct {
		Semantic string `json:"evaluations_semantic"`
	} `json:"options"`
}

// Decision is one answer.
type Decision struct {
	Decision bool           `json:"decision"`
	Context  map[string]any `json:"context,omitempty"`
}

// Option configures New.
type Option func(*config) error

type config struct {
	maxBody        int64
	maxEvaluations int
	subjects       func(ctx context.Context, s Subject) (ac.Identity, error)
	reasons        bool
	baseURL        string
	now            func() time.Time
}

// WithMaxBody sets the largest request body accepted (default 64 KiB);
// larger bodies get 413.
func WithMaxBody(n int64) Option {
	return func(c *config) error {
		if n < 256 {
			return fmt.Errorf("%w: WithMaxBody %d below 256", ErrOption, n)
		}
		c.maxBody = n
		return nil
	}
}

// WithMaxEvaluations sets the most evaluations one batch may hold
// (default 64); more get 400.
func WithMaxEvaluations(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithMaxEvaluations %d", ErrOption, n)
		}
		c.maxEvaluations = n
		return nil
	}
}

// WithSubjects resolves a request's subject to the caller's identity,
// from the host's own records (its accounts, roles and memberships).
// Default: the identity the subject states: ID is the uid, and the
// properties "roles" and "scopes" (arrays of strings) its roles and
// scopes; use the default only behind authentication of the policy
// enforcement points, which are then trusted to state roles. An error
// answers decision false with the reason subject_unresolved.
func WithSubjects(fn func(ctx context.Context, s Subject) (ac.Identity, error)) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: nil WithSubjects", ErrOption)
		}
		c.subjects = fn
		return nil
	}
}

// WithReasons adds the decision's explanation to each answer's context
// ("reason_admin": {"en": …}) (default false: a bare decision, since the
// reason names roles and rules).
func WithReasons(on bool) Option {
	return func(c *config) error { c.reasons = on; return nil }
}

// WithBaseURL serves the PDP metadata document at
// /.well-known/authzen-configuration, with endpoint URLs under base
// (default "": no metadata).
func WithBaseURL(base string) Option {
	return func(c *config) error {
		if base != "" && !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
			return fmt.Errorf("%w: WithBaseURL %q is not an http(s) URL", ErrOption, base)
		}
		c.baseURL = strings.TrimSuffix(base, "/")
		return nil
	}
}

// Handler serves the AuthZEN access evaluation API over a Policy. It is
// safe for concurrent use; the policy's reloads apply at once.
type Handler struct {
	policy *ac.Policy
	cfg    config
}

// New returns a Handler deciding with policy.
func New(policy *ac.Policy, opts ...Option) (*Handler, error) {
	if policy == nil {
		return nil, fmt.Errorf("%w: nil policy", ErrOption)
	}
	h := &Handler{policy: policy, cfg: config{maxBody: DefaultMaxBody, maxEvaluations: DefaultMaxEvaluations,
		subjects: subjectFromRequest, now: time.Now}}
	for _, o := range opts {
		if err := o(&h.cfg); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// ServeHTTP answers POST /access/v1/evaluation and /access/v1/evaluations
// (and GET /.well-known/authzen-configuration with WithBaseURL).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if id := r.Header.Get("X-Request-ID"); id != "" && len(id) <= 128 {
		w.Header().Set("X-Request-ID", id)
	}
	switch r.URL.Path {
	case PathEvaluation, PathEvaluations:
	case PathMetadata:
		if h.cfg.baseURL != "" {
			h.metadata(w, r)
			return
		}
		fallthrough
	default:
		problem.Write(w, problem.Problem{Status: http.StatusNotFound, Detail: "no such endpoint", Code: CodeNotFound})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		problem.Write(w, problem.Problem{Status: http.StatusMethodNotAllowed, Detail: "use POST", Code: CodeMethod})
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		problem.Write(w, problem.Problem{Status: http.StatusUnsupportedMediaType, Detail: "the body must be application/json", Code: CodeMediaType})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			problem.Write(w, problem.Problem{Status: http.StatusRequestEntityTooLarge,
				Detail: fmt.Sprintf("the body is over %d bytes", h.cfg.maxBody), Code: CodeTooLarge})
			return
		}
		badRequest(w, "the body could not be read")
		return
	}
	var resp any
	if r.URL.Path == PathEvaluation {
		resp, err = h.evaluation(r.Context(), body)
	} else {
		resp, err = h.evaluations(r.Context(), body)
	}
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

func badRequest(w http.ResponseWriter, detail string) {
	problem.Write(w, problem.Problem{Status: http.StatusBadRequest, Detail: detail, Code: CodeBadRequest})
}

// requestError is a request that does not describe an evaluation.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return &requestError{fmt.Sprintf("invalid JSON at byte %d", se.Offset)}
		case errors.As(err, &te):
			return &requestError{fmt.Sprintf("%s: want %s", te.Field, te.Type)}
		}
		return &requestError{"invalid JSON"}
	}
	if dec.More() {
		return &requestError{"more than one JSON value"}
	}
	return nil
}

func (h *Handler) evaluation(ctx context.Context, body []byte) (any, error) {
	var e evaluation
	if err := decode(body, &e); err != nil {
		return nil, err
	}
	return h.decide(ctx, e, "")
}

func (h *Handler) evaluations(ctx context.Context, body []byte) (any, error) {
	var req evaluationsRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.Evaluations) == 0 {
		// Without an evaluations array the request is one evaluation.
		return h.decide(ctx, req.evaluation, "")
	}
	if len(req.Evaluations) > h.cfg.maxEvaluations {
		return nil, &requestError{fmt.Sprintf("evaluations: at most %d", h.cfg.maxEvaluations)}
	}
	sem := req.Options.Semantic
	switch sem {
	case "", "execute_all", "deny_on_first_deny", "permit_on_first_permit":
	default:
		return nil, &requestError{"options.evaluations_semantic: want execute_all, deny_on_first_deny or permit_on_first_permit"}
	}
	// Check every item before deciding any: a malformed batch is refused
	// whole.
	items := make([]evaluation, len(req.Evaluations))
	for i, it := range req.Evaluations {
		items[i] = merge(req.evaluation, it)
		if err := items[i].validate(fmt.Sprintf("evaluations[%d].", i)); err != nil {
			return nil, err
		}
	}
	out := make([]Decision, 0, len(items))
	for _, it := range items {
		d, err := h.decide(ctx, it, "")
		if err != nil {
			return nil, err
		}
		out = append(out, d)
		if sem == "deny_on_first_deny" && !d.Decision || sem == "permit_on_first_permit" && d.Decision {
			break
		}
	}
	return map[string]any{"evaluations": out}, nil
}

// merge fills an item's missing objects from the request's defaults.
func merge(def, it evaluation) evaluation {
	if it.Subject == nil {
		it.Subject = def.Subject
	}
	if it.Action == nil {
		it.Action = def.Action
	}
	if it.Resource == nil {
		it.Resource = def.Resource
	}
	if it.Context == nil {
		it.Context = def.Context
	}
	return it
}

const maxString = 512

func (e *evaluation) validate(prefix string) error {
	switch {
	case e.Subject == nil:
		return &requestError{prefix + "subject: required"}
	case e.Action == nil:
		return &requestError{prefix + "action: required"}
	case e.Resource == nil:
		return &requestError{prefix + "resource: required"}
	case e.Subject.Type == "":
		return &requestError{prefix + "subject.type: required"}
	case e.Action.Name == "":
		return &requestError{prefix + "action.name: required"}
	case e.Resource.Type == "":
		return &requestError{prefix + "resource.type: required"}
	}
	for name, s := range map[string]string{"subject.type": e.Subject.Type, "subject.id": e.Subject.ID,
		"action.name": e.Action.Name, "resource.type": e.Resource.Type, "resource.id": e.Resource.ID} {
		if len(s) > maxString {
			return &requestError{fmt.Sprintf("%s%s: over %d bytes", prefix, name, maxString)}
		}
	}
	return nil
}

// actionWords are the action names accepted besides the letters.
var actionWords = map[string]byte{"create": 'c', "read": 'r', "view": 'r', "update": 'u', "edit": 'u', "write": 'u', "delete": 'd', "list": 'l',
	"guest": 'g', "host": 'h', "invite": 'i', "join": 'j'}

func actionLetter(name string) (byte, bool) {
	if len(name) == 1 {
		_, ok := ac.ActionOf(name[0])
		return name[0], ok
	}
	a, ok := actionWords[strings.TrimPrefix(strings.ToLower(name), "can_")]
	return a, ok
}

// decide answers one evaluation.
func (h *Handler) decide(ctx context.Context, e evaluation, prefix string) (Decision, error) {
	if err := e.validate(prefix); err != nil {
		return Decision{}, err
	}
	id, err := h.cfg.subjects(ctx, *e.Subject)
	if err != nil {
		var re *requestError
		if errors.As(err, &re) {
			return Decision{}, err
		}
		return Decision{Context: map[string]any{"reason": "subject_unresolved"}}, nil
	}
	action, ok := actionLetter(e.Action.Name)
	if !ok {
		return Decision{Context: map[string]any{"reason": "unknown_action"}}, nil
	}
	if !slices.Contains(h.policy.Resources(), e.Resource.Type) {
		return Decision{Context: map[string]any{"reason": "unknown_resource"}}, nil
	}
	rec, err := h.record(*e.Resource, e.Context, prefix)
	if err != nil {
		return Decision{}, err
	}
	who := ac.NewPrincipal(id)
	d := Decision{Decision: h.policy.AllowedFor(who, action, e.Resource.Type, rec)}
	if h.cfg.reasons {
		d.Context = map[string]any{"reason_admin": map[string]string{"en": h.policy.Explain(who, action, e.Resource.Type, rec).Reason}}
	}
	return d, nil
}
