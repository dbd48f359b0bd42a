#!/usr/bin/env bash
# Fuzzes the settings-file parser and image decoding with libFuzzer for a bounded time each.
# Usage: bench/fuzz.sh [seconds per target, default 120]. Not part of CI (it takes minutes
# and finds things by chance); docs/settings.md records what the runs found and what was fixed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_EACH="${1:-120}"
BUILD="${KEYSWAP_FUZZ_BUILD:-$ROOT/build-fuzz}"
CACHE="${KEYSWAP_CACHE:-$HOME/.cache/keyswap}"
command -v clang++ >/dev/null || { echo "fuzz.sh: needs clang++ (apt-get install clang)" >&2; exit 1; }
CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEYSWAP_FUZZ=ON \
  -DKEYSWAP_CACHE="$CACHE" >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target fuzz_settings fuzz_image

corpus="$BUILD/corpus"
mkdir -p "$corpus/settings" "$corpus/image" "$BUILD/crashes"
# Seeds: a few real settings files and small images of each format the reader takes.
echo '{"keyswap-settings": 1, "stage": {"softness": 2, "mode": "manual", "rects": ["0,0,1,1"]}}' >"$corpus/settings/seed1.json"
echo '{"out": {"crf": 20, "preset": "slow"}, "stage": {"colour": "#102030", "on": true, "radius": -3}}' >"$corpus/settings/seed2.json"
if command -v ffmpeg >/dev/null; then
  for ext in png jpg webp tif bmp; do
    ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=32x24" -frames:v 1 "$corpus/image/seed.$ext" || true
  done
fi
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1"
status=0
for target in settings image; do
  echo "fuzzing $target for ${SECONDS_EACH}s"
  "$BUILD/fuzz_$target" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
    -artifact_prefix="$BUILD/crashes/$target-" -print_final_stats=1 "$corpus/$target" 2>"$BUILD/fuzz_$target.log" || status=1
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|^#[0-9]+ +DONE|ERROR|SUMMARY" "$BUILD/fuzz_$target.log" | tail -5
done
ls "$BUILD/crashes"
exit $status
