#!/usr/bin/env bash
# promtool.sh: prints the path of promtool (the Prometheus tool that checks
# an exposition with `promtool check metrics`), installing the Debian
# package `prometheus` when it is absent. The metrics tests look for promtool
# on PATH or at /usr/bin/promtool; `make test` calls this script first so
# that under CI=true the exposition check runs instead of failing.
#
# Exit status: 0 with the path on stdout, or 1 with the reason on stderr.
set -euo pipefail

find_promtool() {
  command -v promtool 2>/dev/null && return 0
  [ -x /usr/bin/promtool ] && { echo /usr/bin/promtool; return 0; }
  return 1
}

if find_promtool; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "promtool.sh: promtool not found and apt-get is not available; install Prometheus' promtool" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "promtool.sh: promtool not found; run as root or install sudo to install the package prometheus" >&2
    exit 1
  fi
  sudo=(sudo -n)
fi

echo "promtool.sh: installing the Debian package prometheus (for promtool)" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing (a fresh image: update first) or stale
# (update once if the first attempt cannot find the package).
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  "${sudo[@]}" apt-get update >&2
fi
if ! "${sudo[@]}" apt-get install -y --no-install-recommends prometheus >&2; then
  "${sudo[@]}" apt-get update >&2
  "${sudo[@]}" apt-get install -y --no-install-recommends prometheus >&2
fi

if find_promtool; then
  exit 0
fi
echo "promtool.sh: the package prometheus is installed but promtool is not on PATH or at /usr/bin/promtool" >&2
exit 1
