#!/usr/bin/env bash
# openapi-validator.sh: validates OpenAPI documents with a real validator,
# the npm package @seriousme/openapi-schema-validator (its validate-api CLI,
# which checks a document against the official OpenAPI 2.0 / 3.0 / 3.1 JSON
# schemas). The package is installed into .tools/npm (npm install --prefix)
# the first time, or when another version is installed there.
#
#   scripts/openapi-validator.sh --install     install only (make test calls this first)
#   scripts/openapi-validator.sh FILE...       install if needed, then validate each FILE
#
# Exit status: 0 when every FILE is valid (or the install succeeded); 1 when
# a FILE is invalid, with the validator's report on stdout; 2 for a usage
# error; 3 when the validator cannot be installed or run (node or npm
# missing, registry unreachable), with the reason on stderr. The end-to-end
# tests of examples/contacts skip on 3 outside CI and fail under CI=true.
set -euo pipefail

version=2.11.0
package=@seriousme/openapi-schema-validator
here=${BASH_SOURCE[0]%/*}
[ "$here" = "${BASH_SOURCE[0]}" ] && here=.
root=$(cd "$here/.." && pwd)
prefix=${APICRUD_TOOLS:-$root/.tools}/npm
cli=$prefix/node_modules/$package/bin/validate-api-cli.js
manifest=$prefix/node_modules/$package/package.json

unavailable() {
  echo "openapi-validator.sh: $*" >&2
  exit 3
}

installed_version() {
  [ -f "$manifest" ] || return 1
  node -e 'process.stdout.write(require(process.argv[1]).version)' "$manifest" 2>/dev/null
}

install() {
  command -v node >/dev/null 2>&1 || unavailable "node is not installed (Debian package nodejs)"
  if [ "$(installed_version || true)" = "$version" ] && [ -f "$cli" ]; then
    return 0
  fi
  command -v npm >/dev/null 2>&1 || unavailable "npm is not installed (Debian package npm)"
  mkdir -p "$prefix"
  echo "openapi-validator.sh: installing $package@$version into $prefix" >&2
  if ! npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "$package@$version" >&2; then
    unavailable "npm install $package@$version failed"
  fi
  [ -f "$cli" ] || unavailable "$cli is missing after the install"
}

if [ $# -eq 0 ]; then
  echo "usage: $0 --install | FILE..." >&2
  exit 2
fi
install
if [ "$1" = "--install" ]; then
  exit 0
fi

status=0
for f in "$@"; do
  if [ ! -r "$f" ]; then
    echo "openapi-validator.sh: cannot read $f" >&2
    exit 2
  fi
  # validate-api prints its result as JSON ({"valid": true|false, ...}) and
  # exits 1 when the document is invalid.
  if ! out=$(node "$cli" "$f" 2>&1); then
    echo "$f: invalid"
    echo "$out"
    status=1
    continue
  fi
  if ! grep -q '"valid": *true' <<<"$out" && ! grep -q 'valid: true' <<<"$out"; then
    echo "$f: invalid"
    echo "$out"
    status=1
    continue
  fi
  echo "$f: valid"
done
exit $status
