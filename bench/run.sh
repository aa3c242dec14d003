#!/usr/bin/env bash
# run.sh: the comparative benchmarks of the bench module (apicrud against
# casbin, redis_rate, redislock, redsync, scs) and the wrk load test of
# examples/contacts against a bare net/http + sqlx handler; writes
# RESULTS.md. `make bench` runs it after the package benchmarks (which it
# reads from packages.txt). Needs Redis and PostgreSQL (scripts/services.sh)
# and wrk (installed from Debian when missing).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (Debian package)" >&2
  sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd .. && go build -o "$tmp/contacts" ./examples/contacts)
go build -o "$tmp/bare" ./cmd/bare
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }
before=$(load)
go test -run '^$' -bench . -benchmem -benchtime="${BENCHTIME:-1s}" . | tee "$tmp/peers.txt"
go run ./cmd/loadtest -contacts "$tmp/contacts" -bare "$tmp/bare" -duration "${LOADTIME:-10s}" | tee "$tmp/load.md"
after=$(load)
go run ./cmd/report -bench "$tmp/peers.txt" -load "$tmp/load.md" -packages packages.txt -command "make bench" \
  -loadavg "$before at the start of the comparisons, $after at the end" > RESULTS.md
echo "bench: wrote bench/RESULTS.md"
