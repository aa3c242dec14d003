package crud

import (
	"strconv"
	"strings"
)

// formatETag returns the strong entity tag of a row version.
func formatETag(version int64) string {
	return `"` + strconv.FormatInt(version, 10) + `"`
}

// precondition is a parsed If-Match header.
type precondition struct {
	set      bool    // the header was sent
	any      bool    // "*"
	versions []int64 // the strong ETags it lists
}

// parseIfMatch parses an If-Match value. Weak and unparseable tags match
// nothing: If-Match compares strongly, so a tag matches only when
// neither side is weak and both are equal byte for byte.
func parseIfMatch(h string) precondition {
	h = strings.TrimSpace(h)
	if h == "" {
		return precondition{}
	}
	p := precondition{set: true}
	if h == "*" {
		p.any = true
		return p
	}
	for part := range strings.SplitSeq(h, ",") {
		part = strings.TrimSpace(part)
		if len(part) < 3 || part[0] != '"' || part[len(part)-1] != '"' || len(p.versions) >= 32 {
			continue
		}
		n, err := strconv.ParseInt(part[1:len(part)-1], 10, 64)
		if err != nil || n < 0 {
			continue
		}
		p.versions = append(p.versions, n)
	}
	return p
}

// matches reports whether a record with version v (hasVersion false: the
// resource has no version column) satisfies the precondition.
func (p precondition) matches(hasVersion bool, v int64) bool {
	switch {
	case !p.set, p.any:
		return true
	case !hasVersion:
		return false
	}
	for _, x := range p.versions {
		if x == v {
			return true
		}
	}
	return false
}
