package i18n

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"github.com/apicrud-go/apicrud/internal/strictyaml"
)

//go:embed en.yaml
var englishYAML []byte

// Catalog maps message ids to texts per language. Use New; the zero value is
// not usable. A Catalog is safe for concurrent use.
type Catalog struct {
	tags     []language.Tag // tags[0] is English
	messages []map[string]string
	matcher  language.Matcher
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
	Language string            `yaml:"language"`
	Messages map[string]string `yaml:"messages"`
}

func parseFile(name string, data []byte) (language.Tag, map[string]string, error) {
	var f file
	// Unknown fields, duplicate ids and a second document are errors.
	if err := strictyaml.Decode(name, data, &f); err != nil {
		return language.Und, nil, fmt.Errorf("%w: %w", ErrCatalog, err)
	}
	tag, err := language.Parse(f.Language)
	if err != nil || f.Language == "" {
		return language.Und, nil, fmt.Errorf("%w: %s: language %q is not a BCP 47 tag", ErrCatalog, name, f.Language)
	}
	return tag, f.Messages, nil
}

func checkMessage(name, id, text string) error {
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

// New returns a catalog with the built-in English messages plus the
// languages the options add.
func New(opts ...Option) (*Catalog, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	en, enMsgs, err := parseFile("en.yaml (built in)", englishYAML)
	if err != nil {
		return nil, err
	}
	c := &Catalog{tags: []language.Tag{en}, messages: []map[string]string{enMsgs}}
	index := func(tag language.Tag) map[string]string {
		for i, t := range c.tags {
			if t == tag {
				return c.messages[i]
			}
		}
		m := map[string]string{}
		c.tags = append(c.tags, tag)
		c.messages = append(c.messages, m)
		return m
	}
	for _, s := range cfg.sources {
		var tag language.Tag
		var msgs map[string]string
		switch {
		case s.err != nil:
			return nil, fmt.Errorf("%w: %w", ErrCatalog, s.err)
		case s.data == nil:
			tag, err = language.Parse(s.lang)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: language %q is not a BCP 47 tag", ErrCatalog, s.name, s.lang)
			}
			msgs = s.msgs
		default:
			tag, msgs, err = parseFile(s.name, s.data)
			if err != nil {
				return nil, err
			}
		}
		dst := index(tag)
		for id, text := range msgs {
			if err := checkMessage(s.name, id, text); err != nil {
				return nil, err
			}
			dst[id] = text
		}
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
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
	text, ok := c.messages[lang][id]
	if !ok {
		text, ok = c.messages[0][id]
	}
	if !ok {
		return "", false
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
