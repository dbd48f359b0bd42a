#!/usr/bin/env bash
# End-to-end comparison on one input, in one run, on this machine:
#   (a) keyswap fused: key + face swap + composite in one pass, one decode, one encode;
#   (b) the chain: keyswap key-only -> lossless FFV1 intermediate, swap-only -> FFV1, composite -> final;
#   (c) FFmpeg chromakey + despill + overlay (keying and compositing only, no face swap).
# All finals are H.264 CRF 18 preset fast, same size, same audio handling.
# Usage: bench/fused_vs_chain.sh [INPUT] [FRAMES]   (default: the real green-screen clip, all frames)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KS="${KEYSWAP_BUILD:-$ROOT/build}/keyswap"
CACHE="${KEYSWAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyswap}"
IN="${1:-$ROOT/../shared/assets/video/man-on-green-screen.mp4}"
RANGE=()
[ -n "${2:-}" ] && RANGE=(--frames "0-$(( $2 - 1 ))")
SRC="$CACHE/demo/dlib-faces/Tom_Cruise_avp_2014_4.jpg"
BG="$CACHE/demo/skimage/hubble_deep_field.jpg"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

read -r W H R < <("$KS" probe --json "$IN" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["width"], j["height"], j["fps_rational"])')
SCREEN="$("$KS" process -i "$IN" -o "$T/probe.png" --key auto 2>&1 | sed -n 's/.*#\([0-9A-Fa-f]\{6\}\).*/\1/p' | head -1)"
nproc_=$(nproc)
echo "input: $IN (${W}x${H}), ${2:-all} frames, $nproc_ cores, screen #$SCREEN"

t0=$(now)
"$KS" process -q -i "$IN" -o "$T/fused.mp4" "${RANGE[@]}" --key auto --source "$SRC" --background "$BG" --crf 18 --preset fast
t1=$(now)
"$KS" process -q -i "$IN" -o "$T/keyed.mkv" "${RANGE[@]}" --key auto
"$KS" process -q -i "$T/keyed.mkv" -o "$T/swapped.mkv" --source "$SRC"
"$KS" process -q -i "$T/swapped.mkv" -o "$T/chain.mp4" --background "$BG" --crf 18 --preset fast
t2=$(now)
ffmpeg -v error -y -i "$IN" -loop 1 -framerate "$R" -i "$BG" -filter_complex \
  "[1:v]scale=${W}:${H}:force_original_aspect_ratio=increase,crop=${W}:${H}[bg];[0:v]chromakey=0x${SCREEN}:0.12:0.06,despill=type=green[fg];[bg][fg]overlay=shortest=1[out]" \
  -map "[out]" -map 0:a? ${2:+-frames:v $2} -c:v libx264 -crf 18 -preset fast -pix_fmt yuv420p -c:a copy "$T/ffmpeg.mp4"
t3=$(now)

# Every run must have written the same number of frames, or the times compare different work.
count() { "$KS" probe --count --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])'; }
nf=$(count "$T/fused.mp4"); nc=$(count "$T/chain.mp4"); nff=$(count "$T/ffmpeg.mp4")
echo "frames written: fused $nf, chain $nc, ffmpeg $nff"
[ "$nf" = "$nc" ] && [ "$nf" = "$nff" ] || { echo "frame counts differ: the comparison is void" >&2; exit 1; }
fused=$(secs "$t0" "$t1"); chain=$(secs "$t1" "$t2"); ff=$(secs "$t2" "$t3")
printf '| run | wall s | vs fused |\n|---|---|---|\n'
printf '| (a) keyswap fused (key + swap + composite) | %.2f | 1.00 |\n' "$fused"
printf '| (b) chain: key -> FFV1, swap -> FFV1, composite | %.2f | %.2f |\n' "$chain" "$(echo "$chain / $fused" | bc -l)"
printf '| (c) FFmpeg chromakey+despill+overlay (no swap) | %.2f | %.2f |\n' "$ff" "$(echo "$ff / $fused" | bc -l)"
printf 'fused / chain = %.0f%% of the chain'"'"'s wall time\n' "$(echo "100 * $fused / $chain" | bc -l)"
