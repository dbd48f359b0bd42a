#!/usr/bin/env bash
# Live path speed and latency (docs/BENCHMARKS.md, "Live"): 720p30 from a paced source with
# key + one face + composite, and the end-to-end delay through a UDP round trip on 127.0.0.1,
# measured in one process (bench/live_e2e.cpp) with the transport-only anchor in the same run.
# Usage: bench/live.sh [SECONDS_PER_RUN=10] [ROUNDS=2] [STREAM_PRESET (x264; default: live's)]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${KEYSWAP_BUILD:-$ROOT/build}"
CACHE="${KEYSWAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyswap}"
SRC="$CACHE/demo/dlib-faces/Tom_Cruise_avp_2014_4.jpg"   # scripts/setup puts it there
BG="$CACHE/demo/skimage/hubble_deep_field.jpg"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
# The demo's generated green-screen scene: 1280x720, 30 fps, one face moving over the screen.
"$BUILD/keyswap" demo --out "$T" --frames 300 >/dev/null
CLIP="$(ls "$T"/*green*.mp4 | head -1)"
echo "clip: $CLIP; $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# Calibration: the fused-pass bench whose idle-machine figure is in BENCHMARKS.md (9.4 ms at
# 720p), run just before and after, shows how much the machine's load slows everything here.
calib() { "$BUILD/keyswap" bench --frames 60 --size 1280x720 2>&1 | grep -E "^1280x720"; }
echo "calibration before:"; calib
"$BUILD/bench/live_e2e" "$CLIP" "$SRC" "$BG" "${1:-10}" "${2:-2}" ${3:+"$3"}
echo "calibration after:"; calib
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
