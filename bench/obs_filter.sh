#!/usr/bin/env bash
# The OBS filter's speed (docs/BENCHMARKS.md, "OBS filter"): bench/obs_filter.cpp in a headless
# OBS on Xvfb, on the demo's 720p green-screen clip with the demo's source photo.
#   bench/obs_filter.sh [SECONDS=10] [CANVAS=1280x720@30]   (320x180@10: OBS's software rendering out of the way)
# Needs: a build with the plugin (libobs-dev), xvfb, Mesa's EGL and obs-studio (OBS's media
# source), as scripts/test installs them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${KEYSWAP_BUILD:-$ROOT/build}"
CACHE="${KEYSWAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyswap}"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
"$BUILD/keyswap" demo --out "$T" --frames 300 >/dev/null 2>&1
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); keyswap bench for calibration:"
"$BUILD/keyswap" bench --frames 60 --size 1280x720 2>&1 | grep -E "^1280x720"
xvfb-run -a "$BUILD/bench/obs_filter" "$T/green-screen-scene.mp4" "$(ls "$CACHE"/demo/dlib-faces/Tom_Cruise*.jpg | head -1)" \
  "${1:-10}" "${2:-1280x720@30}" 2>/dev/null | grep -v "^info\|^debug\|^warning\|^error\|^	"
