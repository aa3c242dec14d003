package accesscontrol

import (
	"errors"
	"strconv"
	"strings"
)

// Load errors. They are always wrapped in a *PolicyError that names the
// file, line and entry, so their texts carry no "accesscontrol:" prefix: the
// whole message reads like a compiler's, for example
//
//	rbac.yaml:12: policies.person[2]: unknown action "x"
//
// Match them with errors.Is.
var (
	// ErrSyntax is a YAML syntax error.
	ErrSyntax = errors.New("invalid YAML")
	// ErrSchema is an entry of the wrong shape: a sequence where a mapping
	// belongs, a missing or unknown field, a duplicate key, a bad name.
	ErrSchema = errors.New("invalid entry")
	// ErrUnknownAction is an action letter outside Letters.
	ErrUnknownAction = errors.New("unknown action")
	// ErrUnknownPrivacy is a privacy level that privacy_levels does not
	// declare, or a privacy_levels list that does not start with public.
	ErrUnknownPrivacy = errors.New("unknown privacy level")
	// ErrTemplate is a principal or resource template that does not parse,
	// or a pair of templates that cannot match together.
	ErrTemplate = errors.New("invalid template")
	// ErrUndeclaredResource is a rule, scope or private resource naming a
	// resource that has no entry under policies.
	ErrUndeclaredResource = errors.New("undeclared resource")
	// ErrCondition is a rule's when: that does not parse, names a field
	// the fields section does not declare, or compares values of types
	// that do not match.
	ErrCondition = errors.New("invalid condition")
	// ErrTooLarge is a policy file over the size or complexity limit
	// (WithMaxSize; alias expansion is bounded too).
	ErrTooLarge = errors.New("policy too large")
)

// Run-time errors.
var (
	// ErrUnknownResource is returned by FilterFor and Filter for a resource
	// the policy does not declare.
	ErrUnknownResource = errors.New("accesscontrol: unknown resource")
	// ErrInvalidAction is returned for an action byte that is not an action
	// letter.
	ErrInvalidAction = errors.New("accesscontrol: invalid action")
	// ErrInvalidColumn is returned by FilterFor and Filter for a column
	// expression that is not a plain, optionally qualified and quoted, SQL
	// identifier.
	ErrInvalidColumn = errors.New("accesscontrol: invalid column")
	// ErrOption is returned by constructors for an invalid option.
	ErrOption = errors.New("accesscontrol: invalid option")
)

// PolicyError is a load error: the policy file is refused and, on a
// reload, the policy in force stays. Err wraps one of the load sentinels
// (ErrSyntax, ErrSchema, ErrUnknownAction, ErrUnknownPrivacy, ErrTemplate,
// ErrUndeclaredResource, ErrCondition, ErrTooLarge) or an I/O error.
type PolicyError struct {
	File  string // the name given to Load, or the path of LoadFile
	Line  int    // 1-based; 0 when unknown (I/O errors, empty files)
	Entry string // the entry at fault, e.g. "policies.person[2]"; "" for the whole file
	Err   error
}

// Error returns "file:line: entry: message", leaving out the parts that
// are unknown.
func (e *PolicyError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Entry != "" {
		b.WriteString(e.Entry)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *PolicyError) Unwrap() error { return e.Err }

// detailError carries a full message and the sentinel it belongs to.
type detailError struct {
	kind error
	msg  string
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.kind }

func detail(kind error, msg string) error { return &detailError{kind, msg} }

// quote quotes s for an error message, shortened to 64 bytes so that a
// hostile file cannot blow up a log line.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.Quote(s)
}
