// Package i18n localizes the user-facing messages of apicrud: the title and
// detail of every problem+json error and the texts of notifications.
//
// # Overview
//
// Every user-facing message has a stable message id, such as "crud.not_found"
// or "http.404". A [Catalog] maps ids to texts per language. Built in are the
// English messages and their translations into Arabic (ar), German (de),
// Spanish (es), Filipino (fil), French (fr), Italian (it), Japanese (ja),
// Korean (ko), Brazilian Portuguese (pt), Russian (ru), Vietnamese (vi), Simplified
// Chinese (zh-Hans) and Traditional Chinese (zh-Hant); every built-in
// language has every built-in message. Hosts add languages and their own
// messages with catalog files ([WithFile], [WithFS], [WithYAML]) or maps
// ([WithMessages]); a host's text replaces the built-in one with the same
// language and id. A text may name parameters in braces ("{field}"), filled
// from the arguments of [Catalog.Message].
//
// The library's packages write problem details in English with a stable
// "code" member. [Catalog.Middleware] localizes them on the way out: for a
// response of type application/problem+json it replaces "title" (by the id
// "http.<status>") and "detail" (by the id in "code") with the texts of the
// request's locale, filled from the problem's other members, and sets
// Content-Language. Packages therefore need no knowledge of locales, and a
// host that does not install the middleware gets English.
//
// Texts are plain Unicode in logical order. Arabic texts are right-to-left;
// their direction is the client's to render (for example with dir="auto"),
// and the catalog adds no direction marks.
//
// # Choosing the locale
//
// The locale of a request is, in order: the account's own setting (a
// function the host passes, typically reading its settings cache), else the
// best match of the Accept-Language header among the catalog's languages,
// else English. Matching is golang.org/x/text/language's Matcher, which
// compares languages by their likely script and region: a regional variant
// gets its language (de-CH → de, pt-BR → pt, es-419 → es, fr-CA → fr), tl
// is Filipino, and Chinese goes by script: zh-TW, zh-HK, zh-MO and
// zh-Hant get Traditional Chinese (zh-Hant); zh-CN, zh-SG, zh-Hans and
// plain zh get Simplified Chinese (zh-Hans). Underscores are accepted as
// separators ("zh_Hant"), so locales stored by the Python apicrud still
// match. A language the catalog lacks falls to the next one in the header,
// then to English; a message a language lacks is given in English.
//
// # Catalog files
//
//	language: de
//	messages:
//	  http.404: Nicht gefunden
//	  crud.not_found: Der Datensatz wurde nicht gefunden.
//	  crud.bad_field: "Ungültiges Feld: {field}"
//	plurals:
//	  crud.members:
//	    count: limit
//	    one: "Eine Liste hat höchstens {limit} Mitglied."
//	    other: "Eine Liste hat höchstens {limit} Mitglieder."
//
// A message whose wording depends on a number is written under plurals:
// count names the argument that holds the number, and the other keys are
// the CLDR plural categories of the file's language (zero, one, two, few,
// many, other; English uses one and other, Russian one, few, many and
// other, Arabic all six, Japanese only other). The category is chosen by
// golang.org/x/text/feature/plural from the argument's decimal digits, so
// "1" is one and "1.0" is other in English; an argument that is missing or
// not a number gets the other form.
//
// A file that repeats an id, names an unparseable language, holds a message
// whose braces do not balance, or a plural without count or other form, is
// a load error naming the file.
//
// # Completeness
//
// [Catalog.Verify] reports every English message a language lacks, every
// id a language has that English does not, every translation whose
// {parameters} differ from the English text's, and every plural message
// that lacks a category its language uses. The built-in catalog passes it
// (a test of this package fails otherwise); hosts run it over the catalog
// they build, in a test, to keep their own files complete.
//
// # Concurrency
//
// A Catalog is immutable after New and safe for concurrent use.
package i18n
