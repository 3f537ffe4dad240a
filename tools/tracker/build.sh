#!/usr/bin/env bash
# Rebuilds HappiTrack.Web/wwwroot/js/tracker.min.js from tracker.js with a pinned terser, and records
# the source's SHA-256 in source.sha256 so a test can tell when the committed minified file is stale.
# Both outputs are committed: a fresh clone serves the tracker without Node.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
js="$here/../../HappiTrack.Web/wwwroot/js"
[ -x "$here/node_modules/.bin/terser" ] || npm ci --prefix "$here" --no-audit --no-fund --silent
"$here/node_modules/.bin/terser" "$js/tracker.js" \
  --compress passes=3,unsafe=true,pure_getters=true --mangle --ecma 2017 \
  --format ascii_only=true,comments=false \
  --output "$js/tracker.min.js"
sha256sum "$js/tracker.js" | cut -d' ' -f1 > "$here/source.sha256"
echo "tracker.min.js: $(wc -c < "$js/tracker.min.js") bytes, $(gzip -9 -c "$js/tracker.min.js" | wc -c) bytes gzipped"
