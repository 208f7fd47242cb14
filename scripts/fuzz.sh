#!/usr/bin/env bash
# Runs every Fuzz* target in the module, one after the other, each for
# FUZZTIME (default 10s). With SAVE_SEEDS=1 it also copies up to 8 of the
# inputs the run found interesting from the Go fuzz cache into the
# target's committed seed corpus (testdata/fuzz/<Name>/) when it has none.
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-10s}"
cache="$($GO env GOCACHE)/fuzz"
module="$($GO list -m)"
start=$(date +%s)
n=0
while IFS=: read -r file name; do
  dir="./$(dirname "$file")"
  echo "==> fuzz $dir $name ($FUZZTIME)"
  # Go's fuzzer can report "context deadline exceeded" when -fuzztime ends
  # while a worker is still on an input: no crasher, no failing input
  # written. Retry such a target once; any other failure fails the run.
  out=$(mktemp)
  if ! $GO test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$dir" 2>&1 | tee "$out"; then
    if grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out"; then
      echo "==> $name: fuzzer timed out on an input at the deadline (no crasher); running it again"
      $GO test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$dir"
    else
      rm -f "$out"
      exit 1
    fi
  fi
  rm -f "$out"
  n=$((n + 1))
  if [ "${SAVE_SEEDS:-}" = 1 ] && [ ! -d "$dir/testdata/fuzz/$name" ]; then
    src="$cache/$module/${dir#./}/$name"
    if [ -d "$src" ]; then
      mkdir -p "$dir/testdata/fuzz/$name"
      ls -S -r "$src" | head -8 | while read -r f; do cp "$src/$f" "$dir/testdata/fuzz/$name/seed-$f"; done
    fi
  fi
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | grep -v '^./bin/' | sed 's/func //' | sort)
echo "==> $n fuzz targets in $(( $(date +%s) - start ))s"
