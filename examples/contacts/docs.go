package main

import (
	"embed"
	"io/fs"
	"net/http"
	"strconv"
)

// docsFiles is the interactive documentation: docs/index.html and
// docs/docs.js, and Swagger UI in docs/swagger-ui, which
// scripts/docs-assets.sh fetches from npm (swagger-ui-dist, pinned) before
// the build; without it the page says how to get it.
//
//go:embed docs
var docsFiles embed.FS

// noDocsPage stands in for the docs when Swagger UI was not built in.
const noDocsPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>contacts API</title></head><body>
<p>The interactive documentation was not built into this binary: run scripts/docs-assets.sh, then build again.
The OpenAPI document is at <a href="openapi.json">openapi.json</a>.</p></body></html>`

// docs is GET /docs: the interactive documentation page.
func (a *app) docs(w http.ResponseWriter, _ *http.Request) {
	page, err := docsFiles.ReadFile("docs/index.html")
	if _, serr := fs.Stat(docsFiles, "docs/swagger-ui/swagger-ui-bundle.js"); err != nil || serr != nil {
		page = []byte(noDocsPage)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	// The page runs only its own scripts, and no site may frame it.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	_, _ = w.Write(page)
}

// docsAssets serves the files of the docs page under prefix+"/docs/".
func docsAssets(prefix string) http.Handler {
	sub, _ := fs.Sub(docsFiles, "docs") // "docs" is a valid path: no error
	return http.StripPrefix(prefix+"/docs/", http.FileServerFS(sub))
}
