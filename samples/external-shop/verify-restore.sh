#!/usr/bin/env bash
# What the shop's server does when a cart-rescue link lands on its cart-restore URL (issue 20): check that HappiTrack
# signed the cart with this site's secret and that it has not expired, then fill the cart from its lines.
# The secret comes from the environment (never from the page, never from this file):
#   HAPPITRACK_SECRET=<secret> samples/external-shop/verify-restore.sh '<payload>' '<sig>'
# where payload and sig are the {payload} and {signature} values of the restore URL as they arrived.
# Prints the cart's JSON ({"v":1,"site":…,"lines":[{"slug","qty","url"}],…,"exp":…}) and exits 0; exits 1 for a bad
# signature, 2 for an expired link.
set -euo pipefail
payload="${1:?usage: verify-restore.sh <payload> <sig>}"
sig="${2:?usage: verify-restore.sh <payload> <sig>}"
: "${HAPPITRACK_SECRET:?set HAPPITRACK_SECRET (the signing secret of the site)}"

# The same recipe as the events API: hex HMAC-SHA256, here over the payload text exactly as received.
expected=$(printf '%s' "$payload" | openssl dgst -sha256 -hmac "$HAPPITRACK_SECRET" | sed 's/^.* //')
# (A server in another language should compare in constant time, e.g. crypto.timingSafeEqual or hmac.compare_digest.)
if [ "$expected" != "$sig" ]; then echo "bad signature: not signed with this site's secret" >&2; exit 1; fi

# base64url without padding → base64 with padding.
b64=$(printf '%s' "$payload" | tr '_-' '/+')
while [ $(( ${#b64} % 4 )) -ne 0 ]; do b64="$b64="; done
json=$(printf '%s' "$b64" | base64 -d)

exp=$(printf '%s' "$json" | sed -n 's/.*"exp":\([0-9][0-9]*\).*/\1/p')
if [ -z "$exp" ] || [ "$exp" -le "$(date +%s)" ]; then echo "expired: ask the shopper to open the shop again" >&2; exit 2; fi
printf '%s\n' "$json"
