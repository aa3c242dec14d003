#!/usr/bin/env bash
# fuzz.sh FUZZTIME: runs every Go fuzz target of the module for FUZZTIME each.
set -euo pipefail
fuzztime=${1:-20s}
found=0
while IFS= read -r file; do
  dir=./$(dirname "$file")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
    found=$((found + 1))
    echo "fuzz: $dir $target ($fuzztime)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$dir"
  done
done < <(git ls-files '*_test.go' | grep -v '^bench/' | xargs grep -l '^func Fuzz' | sort)
echo "fuzz: $found targets"
