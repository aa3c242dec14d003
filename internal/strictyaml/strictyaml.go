package strictyaml

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse returns the root node of the one document in data: the content of
// the document node, with aliases and merge keys left as they are. It
// returns nil, nil when data holds no document with content (empty input,
// comments, lone document markers, a null document). file names the input
// in errors.
func Parse(file string, data []byte) (*yaml.Node, error) {
	root, _, err := parse(file, data)
	return root, err
}

// parse returns the root node and the index of its document in the stream.
func parse(file string, data []byte) (*yaml.Node, int, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root *yaml.Node
	at := -1
	for i := 0; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return root, at, nil
		}
		if err != nil {
			return nil, 0, syntaxError(file, err)
		}
		n := content(&doc)
		if n == nil {
			continue
		}
		if root != nil {
			line := doc.Line // the "---" that starts it
			if line == 0 {
				line = n.Line
			}
			return nil, 0, &Error{File: file, Line: line, Msg: ErrDocuments.Error(), Err: ErrDocuments}
		}
		root, at = n, i
	}
}

// content returns the root of a document, or nil for an empty or null one.
func content(doc *yaml.Node) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	n := doc.Content[0]
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && n.Anchor == "" {
		return nil
	}
	return n
}

// Decode decodes the one document in data into v, which must be a non-nil
// pointer. Struct fields are matched by their yaml tags; keys the struct
// does not declare are errors. Input without a document leaves v as it
// is. Errors are *Error (joined when there are several), or the error of
// an UnmarshalYAML method, with the file filled in when it is an *Error.
func Decode(file string, data []byte, v any) error {
	root, at, err := parse(file, data)
	if err != nil || root == nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	for range at {
		var skip yaml.Node
		if err := dec.Decode(&skip); err != nil {
			return syntaxError(file, err) // unreachable: parse read the same stream
		}
	}
	err = dec.Decode(v)
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		errs := make([]error, 0, len(te.Errors))
		for _, m := range te.Errors {
			errs = append(errs, typeError(file, m))
		}
		if len(errs) == 1 {
			return errs[0]
		}
		return errors.Join(errs...)
	}
	var e *Error
	if errors.As(err, &e) {
		if e.File == "" {
			e.File = file
		}
		return err
	}
	msg, isYAML := strings.CutPrefix(err.Error(), "yaml: ")
	if !isYAML {
		return err // an UnmarshalYAML method's own error
	}
	kind := ErrType
	if strings.Contains(msg, "excessive aliasing") {
		kind = ErrAliases
		msg = "too many aliases: the document expands far beyond its size"
	}
	return &Error{File: file, Msg: msg, Err: kind}
}

// At returns err positioned at n, for UnmarshalYAML methods: Decode fills
// in the file name, so the error prints "file:line: message".
func At(n *yaml.Node, err error) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{Line: line, Msg: err.Error(), Err: err}
}

// typeError converts one entry of a *yaml.TypeError ("line 3: field x not
// found in type T").
func typeError(file, m string) *Error {
	line, msg := cutLine(m)
	switch {
	case strings.HasPrefix(msg, "field ") && strings.Contains(msg, " not found in type "):
		name, _, _ := strings.Cut(strings.TrimPrefix(msg, "field "), " not found in type ")
		return &Error{File: file, Line: line, Msg: "unknown field " + strconv.Quote(name), Err: ErrUnknownField}
	case strings.HasPrefix(msg, "mapping key ") && strings.Contains(msg, " already defined"):
		return &Error{File: file, Line: line, Msg: "duplicate " + strings.TrimPrefix(msg, "mapping "), Err: ErrDuplicateKey}
	}
	return &Error{File: file, Line: line, Msg: msg, Err: ErrType}
}

// cutLine splits "line 3: message" into 3 and "message".
func cutLine(msg string) (int, string) {
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				return n, text
			}
		}
	}
	return 0, msg
}

// parserProblems are the messages of the YAML parser (as opposed to its
// scanner and reader), whose line the library reports 0-based.
var parserProblems = []string{
	"did not find expected <document start>", "did not find expected node content",
	"did not find expected '-' indicator", "did not find expected key",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected <stream-start>", "found duplicate %",
	"found incompatible YAML document", "found undefined tag handle",
}

// unplaced are messages that carry no position at all: reader errors
// (encoding) and unknown aliases.
var unplaced = []string{
	"input error", "invalid leading UTF-8 octet", "incomplete UTF-8 octet sequence",
	"invalid trailing UTF-8 octet", "invalid length of a UTF-8 sequence",
	"invalid Unicode character", "control characters are not allowed",
	"incomplete UTF-16", "expected low surrogate area", "unexpected low surrogate area",
	"unknown anchor",
}

// syntaxError converts a parse error ("yaml: line 3: did not find expected
// key") to an *Error with the 1-based line. The library reports scanner
// errors 1-based, parser errors 0-based, and leaves the line out when it
// is the first (0 either way).
func syntaxError(file string, err error) *Error {
	line, msg := cutLine(strings.TrimPrefix(err.Error(), "yaml: "))
	switch {
	case hasPrefix(msg, parserProblems):
		line++
	case line == 0 && !hasPrefix(msg, unplaced):
		line = 1
	}
	return &Error{File: file, Line: line, Msg: ErrSyntax.Error() + ": " + msg, Err: ErrSyntax}
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
