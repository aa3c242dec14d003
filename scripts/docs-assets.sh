#!/usr/bin/env bash
# docs-assets.sh: puts Swagger UI (the npm package swagger-ui-dist, pinned
# by version and integrity) into examples/contacts/docs/swagger-ui, where
# the example embeds it (go:embed) to serve its interactive API docs at
# /api/v1/docs without a CDN. Nothing is done when that version is there
# already. Without the files the example still builds and /docs says how
# to get them; `make test` runs this script first (its browser test opens
# the page).
#
# Exit status: 0 when the files are in place, 1 with the reason on stderr.
set -euo pipefail

version=5.35.0
integrity=sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/examples/contacts/docs/swagger-ui

if [ -f "$dest/.version" ] && [ "$(cat "$dest/.version")" = "$version" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "docs-assets.sh: npm is needed to fetch swagger-ui-dist@$version" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$version" >/dev/null)
tgz=$tmp/swagger-ui-dist-$version.tgz
got=sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
if [ "$got" != "$integrity" ]; then
  echo "docs-assets.sh: swagger-ui-dist-$version.tgz has integrity $got, want $integrity" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$tmp"
rm -rf "$dest"
mkdir -p "$dest"
for f in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE; do
  cp "$tmp/package/$f" "$dest/"
done
echo "$version" >"$dest/.version"
echo "docs-assets.sh: swagger-ui-dist $version in $dest" >&2
