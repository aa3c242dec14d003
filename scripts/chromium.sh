#!/usr/bin/env bash
# chromium.sh: prints the path of Chromium (/usr/bin/chromium), installing
# the Debian package `chromium` when it is absent. The browser test of
# examples/admin drives it headless with playwright-core; `make test` calls
# this script first so that under CI=true that test runs instead of failing.
#
# Exit status: 0 with the path on stdout, or 1 with the reason on stderr.
set -euo pipefail

find_chromium() {
  [ -x /usr/bin/chromium ] && { echo /usr/bin/chromium; return 0; }
  return 1
}

if find_chromium; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: /usr/bin/chromium not found and apt-get is not available; install Chromium" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "chromium.sh: chromium not found; run as root or install sudo to install the package chromium" >&2
    exit 1
  fi
  sudo=(sudo -n)
fi

echo "chromium.sh: installing the Debian package chromium" >&2
export DEBIAN_FRONTEND=noninteractive
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  "${sudo[@]}" apt-get update >&2
fi
if ! "${sudo[@]}" apt-get install -y --no-install-recommends chromium >&2; then
  "${sudo[@]}" apt-get update >&2
  "${sudo[@]}" apt-get install -y --no-install-recommends chromium >&2
fi

if find_chromium; then
  exit 0
fi
echo "chromium.sh: the package chromium is installed but /usr/bin/chromium is missing" >&2
exit 1
