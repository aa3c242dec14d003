package strictyaml

import (
	"errors"
	"strconv"
)

// Kinds of decoding errors. An *Error wraps exactly one of them.
var (
	// ErrSyntax is malformed YAML.
	ErrSyntax = errors.New("invalid YAML")
	// ErrDocuments is a file with more than one non-empty document.
	ErrDocuments = errors.New("more than one YAML document")
	// ErrUnknownField is a mapping key the target struct does not declare.
	ErrUnknownField = errors.New("unknown field")
	// ErrType is a value of the wrong type for its field.
	ErrType = errors.New("wrong type")
	// ErrDuplicateKey is a mapping key repeated in the same mapping.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrAliases is a document whose aliases expand far beyond its size.
	ErrAliases = errors.New("too many aliases")
)

// Error is a decoding error at a position in a file.
type Error struct {
	File string // the file name given to Parse or Decode; may be empty
	Line int    // 1-based; 0 when the library does not know it
	Msg  string // the message, without the position
	// Err is one of the Err… kinds, or the error an UnmarshalYAML method
	// returned (see At).
	Err error
}

// Error returns "file:line: message", leaving out what is unknown
// ("line 3: message" without a file name).
func (e *Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Line > 0:
		return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.Msg
}

// Unwrap returns the error's kind.
func (e *Error) Unwrap() error { return e.Err }
