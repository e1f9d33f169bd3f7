#!/usr/bin/env bash
# Builds the object-store test servers of the loader tests from the Go module
# proxy, pinned, and caches them under ~/.cache/harbormaster/object-stores/<pin>/.
# A second run finds the cache and returns at once; the last stdout line is the
# directory holding the binaries.
#
#   hm-s3   <- scripts/object-stores/s3  (github.com/johannesboyne/gofakes3, MIT, behind our SigV4 check)
#   hm-gcs  <- scripts/object-stores/gcs (github.com/fsouza/fake-gcs-server, BSD-2-Clause, behind our token check)
#
# The versions are pinned in each folder's go.mod / go.sum; the cache key is a
# hash of those files and main.go, so an edit rebuilds.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/object-stores"
CACHE_ROOT="${HM_CACHE_DIR:-$HOME/.cache/harbormaster}"
say() { printf '[build-object-stores] %s\n' "$*" >&2; }

pin=$(cat "$HERE"/s3/go.mod "$HERE"/s3/go.sum "$HERE"/s3/main.go "$HERE"/gcs/go.mod "$HERE"/gcs/go.sum "$HERE"/gcs/main.go | sha256sum | cut -c1-12)
OUT="$CACHE_ROOT/object-stores/$pin"
if [ -x "$OUT/hm-s3" ] && [ -x "$OUT/hm-gcs" ]; then
  say "cached: $OUT"
  echo "$OUT"
  exit 0
fi

# shellcheck source=lib/go.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/go.sh"
need_go "Go 1.26 or newer is required to build the object-store test servers (on the PATH or at /usr/local/go)."

mkdir -p "$OUT"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly
n=0
for name in s3 gcs; do
  n=$((n + 1))
  say "[$n/2] building hm-$name ($(grep -o "github.com/[a-z0-9-]*/[a-z0-9-]* v[0-9.]*" "$HERE/$name/go.mod" | head -1)); first run downloads its modules"
  start=$(date +%s)
  (cd "$HERE/$name" && go build -trimpath -ldflags "-s -w" -o "$OUT/hm-$name.tmp" .)
  mv "$OUT/hm-$name.tmp" "$OUT/hm-$name"
  say "[$n/2] hm-$name built in $(( $(date +%s) - start ))s"
done
say "done: $OUT"
echo "$OUT"
