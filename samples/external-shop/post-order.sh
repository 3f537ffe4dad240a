#!/usr/bin/env bash
# The shop's server telling HappiTrack about an order (issue 20's commerce events API), signed with the
# site's secret. The secret comes from the environment, never from this file:
#   HAPPITRACK_URL=http://localhost:5000 HAPPITRACK_SITE_KEY=<key> HAPPITRACK_SECRET=<secret> \
#     samples/external-shop/post-order.sh 1001 "+49 151 12345678" [true|false]
# Re-running with the same order id is safe: the Idempotency-Key makes HappiTrack answer the first verdict again.
set -euo pipefail
order_id="${1:?usage: post-order.sh <order id> <phone> [opt-in true|false]}"
phone="${2:?usage: post-order.sh <order id> <phone> [opt-in true|false]}"
opt_in="${3:-false}"
: "${HAPPITRACK_URL:?set HAPPITRACK_URL (the brain, e.g. http://localhost:5000)}"
: "${HAPPITRACK_SITE_KEY:?set HAPPITRACK_SITE_KEY (admin → Sites)}"
: "${HAPPITRACK_SECRET:?set HAPPITRACK_SECRET (shown once when the site was registered or its secret rotated)}"

body=$(printf '{"type":"order_placed","data":{"order_id":"%s","phone":"%s","opt_in":%s,"total":39.00,"lines":[{"slug":"copper-kettle","name":"Copper kettle","price":39.00,"qty":1}]}}' \
  "$order_id" "$phone" "$opt_in")
# The signature covers the exact bytes sent: sign the body as it goes on the wire.
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$HAPPITRACK_SECRET" | sed 's/^.* //')
curl -sS -X POST "$HAPPITRACK_URL/api/sites/$HAPPITRACK_SITE_KEY/events" \
  -H 'Content-Type: application/json' \
  -H "X-HappiTrack-Signature: sha256=$sig" \
  -H "Idempotency-Key: order-$order_id-placed" \
  --data-binary "$body"
echo
