// Package i18n localizes the user-facing messages of apicrud: the title and
// detail of every problem+json error and the texts of notifications.
//
// # Overview
//
// Every user-facing message has a stable message id, such as "crud.not_found"
// or "http.404". A [Catalog] maps ids to texts per language; English is built
// in, and hosts add languages with catalog files ([WithFile], [WithYAML]) or
// maps ([WithMessages]). A text may name parameters in braces ("{field}"),
// filled from the arguments of [Catalog.Message].
//
// The library's packages write problem details in English with a stable
// "code" member. [Catalog.Middleware] localizes them on the way out: for a
// response of type application/problem+json it replaces "title" (by the id
// "http.<status>") and "detail" (by the id in "code") with the texts of the
// request's locale, and sets Content-Language. Packages therefore need no
// knowledge of locales, and a host that does not install the middleware gets
// English.
//
// # Choosing the locale
//
// The locale of a request is, in order: the account's own setting (a
// function the host passes, typically reading its settings cache), else the
// best match of the Accept-Language header among the catalog's languages
// (golang.org/x/text/language matching), else English.
//
// # Catalog files
//
//	language: de
//	messages:
//	  http.404: Nicht gefunden
//	  crud.not_found: Der Datensatz wurde nicht gefunden.
//	  crud.bad_field: "Ungültiges Feld: {field}"
//
// A file that repeats an id, names an unparseable language, or holds a
// message whose braces do not balance is a load error naming the file.
//
// # Concurrency
//
// A Catalog is immutable after New and safe for concurrent use.
package i18n
