#!/usr/bin/env bash
# Rebuilds HappiTrack.Web/wwwroot/js/tracker.min.js from tracker.js (Trusty's own tracker) and t.min.js
# from t.js (the embeddable loader served at /t.js) with a pinned terser, and records each source's
# SHA-256 (source.sha256, t.source.sha256) so a test can tell when a committed minified file is stale.
# All outputs are committed: a fresh clone serves the trackers without Node.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
js="$here/../../HappiTrack.Web/wwwroot/js"
[ -x "$here/node_modules/.bin/terser" ] || npm ci --prefix "$here" --no-audit --no-fund --silent
build() {
  "$here/node_modules/.bin/terser" "$js/$1.js" \
    --compress passes=3,unsafe=true,pure_getters=true --mangle --ecma 2017 \
    --format ascii_only=true,comments=false \
    --output "$js/$1.min.js"
  sha256sum "$js/$1.js" | cut -d' ' -f1 > "$here/$2"
  echo "$1.min.js: $(wc -c < "$js/$1.min.js") bytes, $(gzip -9 -c "$js/$1.min.js" | wc -c) bytes gzipped"
}
build tracker source.sha256
build t t.source.sha256
