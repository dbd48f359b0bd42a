#!/usr/bin/env bash
# Scale-out on this machine: a single run against --scheduler local with N chunks, and the
# same job through a single-node Slurm cluster (tests/slurm/cluster.sh) for the overhead per
# job, with chunks in the output's codec (the default) and as lossless FFV1 intermediates.
# The clip is the demo's generated green-screen scene with a face, with a tone as audio.
#   bench/scale.sh [FRAMES=240] [CHUNKS=2]
# Needs: a built keyswap (build/keyswap), ../shared/assets (the face photos), and for the
# Slurm row slurmctld, slurmd and slurm-client (skipped when absent).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K="${KEYSWAP:-$ROOT/build/keyswap}"
ASSETS="$ROOT/../shared/assets"
FRAMES="${1:-240}"
CHUNKS="${2:-2}"
W="$(mktemp -d)"
trap '"$ROOT/tests/slurm/cluster.sh" stop "$W/slurm" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
mkdir -p "$W/cache/demo/skimage"
cp "$ASSETS/faces/astronaut.png" "$W/cache/demo/skimage/"
"$K" demo --frames "$FRAMES" --cache "$W/cache" --out "$W" >/dev/null 2>&1
ffmpeg -v error -i "$W/green-screen-scene.mp4" -f lavfi -i sine=frequency=440:sample_rate=48000 -shortest \
  -c:v copy -c:a aac "$W/clip.mp4"
JOB=(-q -i "$W/clip.mp4" --key auto --source "$ASSETS/faces/biden.jpg" --background '#203060')
t() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }
single=$(t "$K" process "${JOB[@]}" -o "$W/single.mp4")
local_t=$(t "$K" process "${JOB[@]}" -o "$W/local.mp4" --chunks "$CHUNKS" --scheduler local)
lossless_t=$(t "$K" process "${JOB[@]}" -o "$W/lossless.mp4" --chunks "$CHUNKS" --scheduler local --lossless-chunks)
printf 'frames %s (1280x720), cores %s\n' "$FRAMES" "$(nproc)"
printf 'single run          %6.2f s  (%.1f fps)\n' "$single" "$(echo "$FRAMES / $single" | bc -l)"
printf 'local, %s chunks     %6.2f s  speed-up %.2fx  (chunks in H.264, joined without re-encoding)\n' "$CHUNKS" "$local_t" "$(echo "$single / $local_t" | bc -l)"
printf 'local, %s lossless   %6.2f s  speed-up %.2fx  (FFV1 chunks, encoded once by the stitch)\n' "$CHUNKS" "$lossless_t" "$(echo "$single / $lossless_t" | bc -l)"
if command -v slurmctld >/dev/null 2>&1 || [ -x /usr/sbin/slurmctld ]; then
  "$ROOT/tests/slurm/cluster.sh" start "$W/slurm" >/dev/null
  export SLURM_CONF="$W/slurm/slurm.conf"
  slurm_t=$(t "$K" process "${JOB[@]}" -o "$W/slurm.mp4" --chunks "$CHUNKS" --scheduler slurm)
  printf 'slurm, %s chunks     %6.2f s  overhead against local %.2f s per job\n' "$CHUNKS" "$slurm_t" \
    "$(echo "$slurm_t - $local_t" | bc -l)"
fi
