#!/usr/bin/env bash
# admin-build.sh: builds examples/admin (react-admin over the example
# service) into examples/admin/dist: `npm ci` when node_modules is missing
# or older than package-lock.json, then `vite build` when dist is missing or
# older than the sources. Both results are cached, so a second run costs
# nothing. `make test` calls it before the browser test
# (examples/contacts TestAdminInBrowser), which also needs scripts/chromium.sh.
#
# Exit status: 0 when dist is up to date, 1 with the reason on stderr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
app=$root/examples/admin
cd "$app"

if ! command -v npm >/dev/null 2>&1; then
  echo "admin-build.sh: npm is needed to build examples/admin" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "admin-build.sh: npm ci in examples/admin" >&2
  npm ci --no-audit --no-fund >&2
fi
stale=0
if [ ! -f dist/index.html ]; then
  stale=1
elif [ -n "$(find src index.html vite.config.js package-lock.json -newer dist/index.html -print -quit)" ]; then
  stale=1
fi
if [ "$stale" = 1 ]; then
  echo "admin-build.sh: vite build in examples/admin" >&2
  npx --no-install vite build --logLevel warn >&2
fi
