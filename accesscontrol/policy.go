package accesscontrol

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// Policy is a loaded, compiled policy file. Its decisions read the current
// version through one atomic pointer, so Reload never blocks them: a
// decision sees either the old version or the new one, never a mix. A
// Policy is safe for concurrent use. It implements crud's Authorizer
// (UID, Allowed, Filter, HasScopes), reading the caller from the context.
// The zero Policy is not usable (its methods panic): use Load, LoadFile or
// LoadBytes.
type Policy struct {
	tracer trace.Tracer // nil without WithTracerProvider
	cur    atomic.Pointer[compiled]
	opts   options
	reload sync.Mutex // serialises reloads (never taken by decisions)
}

// Load reads a policy file from r. name is used in error messages (for
// example "rbac.yaml"). Every problem is a *PolicyError naming the file,
// line and entry.
func Load(r io.Reader, name string, opts ...Option) (*Policy, error) {
	p, err := newPolicy(opts)
	if err != nil {
		return nil, err
	}
	if err := p.Reload(r, name); err != nil {
		return nil, err
	}
	return p, nil
}

// LoadFile reads the policy file at path; errors name the file by its
// base name.
func LoadFile(path string, opts ...Option) (*Policy, error) {
	p, err := newPolicy(opts)
	if err != nil {
		return nil, err
	}
	if err := p.ReloadFile(path); err != nil {
		return nil, err
	}
	return p, nil
}

// LoadBytes reads a policy file held in memory.
func LoadBytes(data []byte, name string, opts ...Option) (*Policy, error) {
	return Load(bytes.NewReader(data), name, opts...)
}

func newPolicy(opts []Option) (*Policy, error) {
	p := &Policy{opts: defaultOptions()}
	for _, o := range opts {
		if err := o(&p.opts); err != nil {
			return nil, err
		}
	}
	p.tracer = tracing.New(p.opts.tp, "github.com/apicrud-go/apicrud/accesscontrol")
	return p, nil
}

// Reload reads a new policy file from r, compiles it, and swaps it in
// atomically. On error the policy in force stays and the error is a
// *PolicyError. Decisions running meanwhile are never blocked.
func (p *Policy) Reload(r io.Reader, name string) error {
	data, err := io.ReadAll(io.LimitReader(r, p.opts.maxSize+1))
	if err != nil {
		return &PolicyError{File: name, Err: err}
	}
	if int64(len(data)) > p.opts.maxSize {
		return &PolicyError{File: name, Err: detail(ErrTooLarge, fmt.Sprintf("policy file over %d bytes", p.opts.maxSize))}
	}
	return p.ReloadBytes(data, name)
}

// ReloadFile is Reload from the file at path.
func (p *Policy) ReloadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &PolicyError{File: filepath.Base(path), Err: err}
	}
	defer f.Close()
	return p.Reload(f, filepath.Base(path))
}

// ReloadBytes is Reload from memory.
func (p *Policy) ReloadBytes(data []byte, name string) error {
	if int64(len(data)) > p.opts.maxSize {
		return &PolicyError{File: name, Err: detail(ErrTooLarge, fmt.Sprintf("policy file over %d bytes", p.opts.maxSize))}
	}
	src, err := parseSource(data, name)
	if err != nil {
		var pe *PolicyError
		if !errors.As(err, &pe) {
			err = &PolicyError{File: name, Err: err}
		}
		return err
	}
	p.reload.Lock()
	defer p.reload.Unlock()
	var version uint64 = 1
	if old := p.cur.Load(); old != nil {
		version = old.version + 1
	}
	c := compile(src, version)
	p.cur.Store(c)
	p.opts.log.Info("accesscontrol: policy loaded", "file", name, "version", version,
		"resources", len(c.res), "rules", c.rules, "scopes", len(c.scopes))
	return nil
}

// Version counts the loads of this Policy: 1 after Load, +1 per successful
// reload.
func (p *Policy) Version() uint64 { return p.cur.Load().version }

// File returns the name of the file in force.
func (p *Policy) File() string { return p.cur.Load().file }

// Resources returns the declared resources, in file order.
func (p *Policy) Resources() []string {
	c := p.cur.Load()
	out := make([]string, len(c.res))
	for i := range c.res {
		out[i] = c.res[i].name
	}
	return out
}

// Levels returns the privacy levels, least restrictive ("public") first.
func (p *Policy) Levels() []string { return slices.Clone(p.cur.Load().levels) }

// Rules returns the number of rules in force.
func (p *Policy) Rules() int { return p.cur.Load().rules }
