package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"

	"github.com/apicrud-go/apicrud/internal/strictyaml"
)

//go:embed en.yaml
var englishYAML []byte

// builtinLocales holds the built-in translations of the English messages,
// one file per language.
//
//go:embed locales/*.yaml
var builtinLocales embed.FS

// Catalog maps message ids to texts per language. Use New; the zero value is
// not usable. A Catalog is safe for concurrent use.
type Catalog struct {
	tags     []language.Tag // tags[0] is English
	messages []map[string]message
	matcher  language.Matcher
}

// message is one text, or the plural forms of one text.
type message struct {
	// count names the argument whose number selects a plural form; "" for
	// a plain text.
	count string
	// forms holds the texts by plural form; forms[plural.Other] is the
	// text of a plain message.
	forms [plural.Many + 1]string
}

func plain(text string) message {
	var m message
	m.forms[plural.Other] = text
	return m
}

type config struct {
	sources []source
}

type source struct {
	name string
	data []byte
	lang string
	msgs map[string]string
	err  error // reading the source failed
}

// Option configures New.
type Option func(*config)

// WithFile adds the catalog file at path (see the package doc for the format).
func WithFile(path string) Option {
	return func(c *config) {
		data, err := os.ReadFile(path)
		c.sources = append(c.sources, source{name: path, data: data, err: err})
	}
}

// WithFS adds every catalog file in fsys whose name matches pattern (as
// fs.Glob matches it, for example "locales/*.yaml"), in name order: the way
// to load catalogs embedded with //go:embed. A pattern that matches no file
// is an error.
func WithFS(fsys fs.FS, pattern string) Option {
	return func(c *config) {
		names, err := fs.Glob(fsys, pattern)
		switch {
		case err != nil:
			err = fmt.Errorf("%s: %w", pattern, err)
		case len(names) == 0:
			err = fmt.Errorf("%s matches no file", pattern)
		}
		if err != nil {
			c.sources = append(c.sources, source{name: pattern, err: err})
			return
		}
		for _, name := range names {
			data, err := fs.ReadFile(fsys, name)
			c.sources = append(c.sources, source{name: name, data: data, err: err})
		}
	}
}

// WithYAML adds a catalog in the file format, named name in errors.
func WithYAML(name string, data []byte) Option {
	return func(c *config) { c.sources = append(c.sources, source{name: name, data: data}) }
}

// WithMessages adds messages for lang (a BCP 47 tag such as "de" or
// "pt-BR"). Later options win for the same language and id.
func WithMessages(lang string, msgs map[string]string) Option {
	return func(c *config) {
		c.sources = append(c.sources, source{name: "messages for " + lang, lang: lang, msgs: msgs})
	}
}

type file struct {
	Language string                `yaml:"language"`
	Messages map[string]string     `yaml:"messages"`
	Plurals  map[string]pluralText `yaml:"plurals"`
}

// pluralText is a message with plural forms in a catalog file: count names
// the argument holding the number, the others are the CLDR plural
// categories of the file's language.
type pluralText struct {
	Count string `yaml:"count"`
	Zero  string `yaml:"zero"`
	One   string `yaml:"one"`
	Two   string `yaml:"two"`
	Few   string `yaml:"few"`
	Many  string `yaml:"many"`
	Other string `yaml:"other"`
}

func (p pluralText) message() message {
	m := message{count: p.Count}
	m.forms[plural.Zero] = p.Zero
	m.forms[plural.One] = p.One
	m.forms[plural.Two] = p.Two
	m.forms[plural.Few] = p.Few
	m.forms[plural.Many] = p.Many
	m.forms[plural.Other] = p.Other
	return m
}

func parseFile(name string, data []byte) (language.Tag, map[string]message, error) {
	var f file
	// Unknown fields, duplicate ids and a second document are errors.
	if err := strictyaml.Decode(name, data, &f); err != nil {
		return language.Und, nil, fmt.Errorf("%w: %w", ErrCatalog, err)
	}
	tag, err := language.Parse(f.Language)
	if err != nil || f.Language == "" {
		return language.Und, nil, fmt.Errorf("%w: %s: language %q is not a BCP 47 tag", ErrCatalog, name, f.Language)
	}
	msgs := make(map[string]message, len(f.Messages)+len(f.Plurals))
	for id, text := range f.Messages {
		msgs[id] = plain(text)
	}
	for id, p := range f.Plurals {
		if _, ok := msgs[id]; ok {
			return language.Und, nil, fmt.Errorf("%w: %s: message %q is both a text and a plural", ErrCatalog, name, id)
		}
		if p.Count == "" || strings.ContainsAny(p.Count, "{} ") {
			return language.Und, nil, fmt.Errorf("%w: %s: plural %q: count must name the argument holding the number", ErrCatalog, name, id)
		}
		if p.Other == "" {
			return language.Und, nil, fmt.Errorf("%w: %s: plural %q has no other form", ErrCatalog, name, id)
		}
		msgs[id] = p.message()
	}
	return tag, msgs, nil
}

func checkMessage(name, id string, m message) error {
	for _, text := range m.forms {
		if err := checkText(name, id, text); err != nil {
			return err
		}
	}
	return nil
}

func checkText(name, id, text string) error {
	if id == "" {
		return fmt.Errorf("%w: %s: empty message id", ErrCatalog, name)
	}
	depth := 0
	for _, r := range text {
		switch r {
		case '{':
			depth++
		case '}':
			depth--
		}
		if depth < 0 || depth > 1 {
			return fmt.Errorf("%w: %s: message %q: unbalanced braces", ErrCatalog, name, id)
		}
	}
	if depth != 0 {
		return fmt.Errorf("%w: %s: message %q: unbalanced braces", ErrCatalog, name, id)
	}
	return nil
}

// New returns a catalog with the built-in messages, in English and in the
// built-in translations, plus the languages and messages the options add.
func New(opts ...Option) (*Catalog, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	en, enMsgs, err := parseFile("en.yaml (built in)", englishYAML)
	if err != nil {
		return nil, err
	}
	c := &Catalog{tags: []language.Tag{en}, messages: []map[string]message{enMsgs}}
	index := func(tag language.Tag) map[string]message {
		for i, t := range c.tags {
			if t == tag {
				return c.messages[i]
			}
		}
		m := map[string]message{}
		c.tags = append(c.tags, tag)
		c.messages = append(c.messages, m)
		return m
	}
	builtin, err := builtinSources()
	if err != nil {
		return nil, err
	}
	for _, s := range append(builtin, cfg.sources...) {
		var tag language.Tag
		var msgs map[string]message
		switch {
		case s.err != nil:
			return nil, fmt.Errorf("%w: %w", ErrCatalog, s.err)
		case s.data == nil:
			tag, err = language.Parse(s.lang)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: language %q is not a BCP 47 tag", ErrCatalog, s.name, s.lang)
			}
			msgs = make(map[string]message, len(s.msgs))
			for id, text := range s.msgs {
				msgs[id] = plain(text)
			}
		default:
			tag, msgs, err = parseFile(s.name, s.data)
			if err != nil {
				return nil, err
			}
		}
		dst := index(tag)
		for id, m := range msgs {
			if err := checkMessage(s.name, id, m); err != nil {
				return nil, err
			}
			dst[id] = m
		}
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// builtinSources returns the built-in translations in file name order.
func builtinSources() ([]source, error) {
	entries, err := builtinLocales.ReadDir("locales")
	if err != nil {
		return nil, fmt.Errorf("%w: built-in locales: %w", ErrCatalog, err)
	}
	out := make([]source, 0, len(entries))
	for _, e := range entries {
		name := path.Join("locales", e.Name())
		data, err := builtinLocales.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("%w: %s (built in): %w", ErrCatalog, name, err)
		}
		out = append(out, source{name: name + " (built in)", data: data})
	}
	return out, nil
}

// Languages returns the catalog's languages, English first.
func (c *Catalog) Languages() []string {
	out := make([]string, len(c.tags))
	for i, t := range c.tags {
		out[i] = t.String()
	}
	return out
}

// IDs returns the ids of the built-in English messages, sorted. They are
// stable: an id is never renamed or reused for another meaning.
func (c *Catalog) IDs() []string {
	ids := make([]string, 0, len(c.messages[0]))
	for id := range c.messages[0] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Match returns the catalog language that best matches the given locales
// or Accept-Language values, tried in order; English when none matches.
// Unparseable values are ignored.
func (c *Catalog) Match(locales ...string) string {
	return c.tags[c.match(locales...)].String()
}

func (c *Catalog) match(locales ...string) int {
	for _, l := range locales {
		if l == "" {
			continue
		}
		tags, _, err := language.ParseAcceptLanguage(l)
		if err != nil || len(tags) == 0 {
			continue
		}
		_, i, conf := c.matcher.Match(tags...)
		if conf != language.No {
			return i
		}
	}
	return 0
}

// Message returns the text of id in the language best matching locale,
// falling back to English, with {name} parameters replaced from args. An id
// the catalog does not know yields "" and false.
func (c *Catalog) Message(locale, id string, args map[string]string) (string, bool) {
	return c.message(c.match(locale), id, args)
}

func (c *Catalog) message(lang int, id string, args map[string]string) (string, bool) {
	m, ok := c.messages[lang][id]
	if !ok {
		m, ok = c.messages[0][id]
		lang = 0
	}
	if !ok {
		return "", false
	}
	text := m.forms[plural.Other]
	if m.count != "" {
		if f := m.forms[pluralForm(c.tags[lang], args[m.count])]; f != "" {
			text = f
		}
	}
	if len(args) == 0 || !strings.Contains(text, "{") {
		return text, true
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			b.WriteString(text)
			break
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			b.WriteString(text)
			break
		}
		b.WriteString(text[:i])
		name := text[i+1 : i+j]
		if v, ok := args[name]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(text[i : i+j+1])
		}
		text = text[i+j+1:]
	}
	return b.String(), true
}

// pluralForm returns the CLDR plural category of the decimal number n in
// lang; Other when n is not a decimal number.
func pluralForm(lang language.Tag, n string) plural.Form {
	n = strings.TrimPrefix(n, "-")
	whole, frac, _ := strings.Cut(n, ".")
	if whole == "" && frac == "" || len(whole) > 30 || len(frac) > 30 {
		return plural.Other
	}
	digits := make([]byte, 0, len(whole)+len(frac))
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return plural.Other
		}
		digits = append(digits, byte(r-'0'))
	}
	return plural.Cardinal.MatchDigits(lang, digits, len(whole), len(frac))
}
