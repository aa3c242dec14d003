package i18n

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// placeholder matches a {name} parameter of a text.
var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// Verify checks that every language of the catalog translates every English
// message, and nothing else, and that each translation keeps the English
// text's parameters: the same {name}s, and for a message with plural forms
// the same count argument and a form for each plural category the language
// uses for whole numbers. It returns nil, or an error wrapping
// ErrIncomplete that lists every fault as "language: id: fault". The
// built-in catalog passes; a host runs it in a test over the catalog it
// builds, to learn which of its own ids a language lacks.
func (c *Catalog) Verify() error {
	var faults []error
	en := c.messages[0]
	ids := c.IDs()
	for i := 1; i < len(c.tags); i++ {
		tag, msgs := c.tags[i], c.messages[i]
		for _, id := range ids {
			m, ok := msgs[id]
			if !ok {
				faults = append(faults, fmt.Errorf("%s: %s: missing", tag, id))
				continue
			}
			if fault := compare(tag, en[id], m); fault != "" {
				faults = append(faults, fmt.Errorf("%s: %s: %s", tag, id, fault))
			}
		}
		for _, id := range slices.Sorted(maps.Keys(msgs)) {
			if _, ok := en[id]; !ok {
				faults = append(faults, fmt.Errorf("%s: %s: not an English message", tag, id))
			}
		}
	}
	if len(faults) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d faults:\n%w", ErrIncomplete, len(faults), errors.Join(faults...))
}

// compare reports how translation m departs from the English message src,
// or "" when it keeps its parameters.
func compare(tag language.Tag, src, m message) string {
	want := placeholders(src)
	if m.count == "" {
		if src.count != "" && len(pluralForms(tag)) > 1 {
			return fmt.Sprintf("needs the plural forms %s", formNames(pluralForms(tag)))
		}
		if got := placeholders(m); !slices.Equal(got, want) {
			return fmt.Sprintf("parameters %v, English has %v", got, want)
		}
		return ""
	}
	if m.count != src.count && !slices.Contains(want, "{"+m.count+"}") {
		return fmt.Sprintf("plural count %q is not a parameter of the English text", m.count)
	}
	if got := placeholders(m); !slices.Equal(got, want) {
		return fmt.Sprintf("parameters %v, English has %v", got, want)
	}
	var missing []plural.Form
	for _, f := range pluralForms(tag) {
		if m.forms[f] == "" {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("lacks the plural forms %s", formNames(missing))
	}
	for f, text := range m.forms {
		for _, p := range placeholder.FindAllString(text, -1) {
			if !slices.Contains(want, p) {
				return fmt.Sprintf("form %s has parameter %s, English has %v", formNames([]plural.Form{plural.Form(f)}), p, want)
			}
		}
	}
	return ""
}

// placeholders returns the sorted, distinct {name}s of all forms of m.
func placeholders(m message) []string {
	var out []string
	for _, text := range m.forms {
		out = append(out, placeholder.FindAllString(text, -1)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// pluralForms returns the plural categories lang uses for whole numbers,
// Other first.
func pluralForms(lang language.Tag) []plural.Form {
	seen := [plural.Many + 1]bool{plural.Other: true}
	// CLDR's integer rules depend on n mod 100 and on n up to a million;
	// these samples reach every category of every language.
	for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 19, 20, 21, 22, 23, 25, 100, 101, 102, 103, 111, 1000, 1000000} {
		seen[plural.Cardinal.MatchPlural(lang, n, 0, 0, 0, 0)] = true
	}
	var out []plural.Form
	for f, ok := range seen {
		if ok {
			out = append(out, plural.Form(f))
		}
	}
	return out
}

var formName = [...]string{plural.Other: "other", plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many"}

func formNames(forms []plural.Form) string {
	names := make([]string, len(forms))
	for i, f := range forms {
		names[i] = formName[f]
	}
	return strings.Join(names, ", ")
}
