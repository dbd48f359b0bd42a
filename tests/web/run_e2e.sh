#!/usr/bin/env bash
# ctest PanelBrowser: `keyswap serve` on the demo's green-screen clip, and tests/web/panel_e2e.mjs
# driving Debian's Chromium through playwright-core against it. The screenshot lands in
# WORKDIR/panel.png (under the build folder).
#   run_e2e.sh KEYSWAP WORKDIR
# WORKDIR holds node_modules (scripts/test: npm install there). Without Chromium or
# playwright-core the test is skipped (77), or fails when KEYSWAP_REQUIRE_BROWSER=1.
set -euo pipefail
KEYSWAP="$1"; WORK="$2"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${KEYSWAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyswap}"
missing=""
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing="Debian's chromium"
[ -d "$WORK/node_modules/playwright-core" ] || missing="${missing:+$missing and }playwright-core in $WORK"
if [ -n "$missing" ]; then
  echo "PanelBrowser: needs $missing (scripts/test installs them)"
  [ "${KEYSWAP_REQUIRE_BROWSER:-0}" = 1 ] && exit 1 || exit 77
fi
T="$(mktemp -d)"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
"$KEYSWAP" demo --out "$T" --frames 90 >/dev/null
PHOTO="$(ls "$CACHE"/demo/dlib-faces/Tom_Cruise*.jpg | head -1)"
"$KEYSWAP" serve --input "$T/green-screen-scene.mp4" --port 0 --allow "$T" --settings-dir "$T/settings" \
  --key auto >"$T/serve.out" 2>"$T/serve.err" &
SERVER=$!
URL=""
for _ in $(seq 1 300); do
  URL="$(grep -o 'http://[^ ]*' "$T/serve.out" || true)"
  [ -n "$URL" ] && break
  kill -0 "$SERVER" 2>/dev/null || { echo "PanelBrowser: keyswap serve ended: $(tail -3 "$T/serve.err")"; exit 1; }
  sleep 0.2
done
[ -n "$URL" ] || { echo "PanelBrowser: keyswap serve printed no address"; exit 1; }
echo "panel at $URL"
cp "$HERE/panel_e2e.mjs" "$WORK/"  # beside its node_modules, where the import resolves
node "$WORK/panel_e2e.mjs" "$URL" "$WORK/panel.png" "$PHOTO"
# The server is still there after the browser went away mid-stream.
curl -sf "${URL%/}/api/stats" >/dev/null || { echo "PanelBrowser: the server stopped answering"; exit 1; }
echo "screenshot: $WORK/panel.png"
