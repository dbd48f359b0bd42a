#!/usr/bin/env bash
# Scores the face swap on the development set (bench/face_devset.txt) and writes contact sheets.
#   bench/face_devset.sh OUTDIR [key=value ...]     (run from the repository root after a build)
#   KS_DEVSET_LIST=bench/face_poseset.txt bench/face_devset.sh OUTDIR   (another list of pairs)
# Prepares the material outside the repository: dlib's example faces from Debian's dlib source
# package (fetched by scripts/setup into ~/.cache/keyswap) and one frame a second of
# tears-of-steel-10s.mp4, both under ${KS_DEVSET_TMP:-/tmp/keyswap-devset}.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:?usage: face_devset.sh OUTDIR [key=value ...]}"
shift
TMP="${KS_DEVSET_TMP:-/tmp/keyswap-devset}"
CACHE="${KEYSWAP_CACHE:-$HOME/.cache/keyswap}"
mkdir -p "$TMP/dlib" "$TMP/video" "$OUT"
if [ ! -f "$TMP/dlib/2008_001009.jpg" ]; then
  tar xjf "$CACHE"/dlib-src/dlib_*.orig.tar.bz2 -C "$TMP/dlib" --wildcards '*/examples/faces/*.jpg' --strip-components=3
fi
if [ ! -f "$TMP/video/tos_10.png" ]; then
  ffmpeg -loglevel error -y -i "$ROOT/../shared/assets/video/tears-of-steel-10s.mp4" \
    -vf "select='not(mod(n\,24))',scale=1280:720" -vsync vfr "$TMP/video/tos_%02d.png"
fi
export KS_FACES="$ROOT/../shared/assets/faces" KS_DLIB="$TMP/dlib" KS_VIDEO="$TMP/video"
"${KEYSWAP_BUILD:-$ROOT/build}/bench/face_devset" "${KS_DEVSET_LIST:-$ROOT/bench/face_devset.txt}" "$OUT" "$@"
