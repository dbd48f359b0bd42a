#include "keyswap/matte/colour_difference.hpp"

#include <algorithm>

#include "keyswap/matte/row_kernels.hpp"
#include <cmath>
#include <cstring>

namespace keyswap::matte {
namespace {
// The foreground's scale applies in full up to raw 0.7 and fades out towards raw 1, so a pixel
// with no screen colour left stays solid next to a foreground of another colour (dark hair by
// an orange sleeve). Measured on the six benchmark scenes at 960x540 (docs/bench-keyer.md):
// fading from 0.3 or 0.5 gains less at the edges; from 0.8 or 0.9 the blue-screen portrait's
// solid regions get holes (alpha SAD +7% / +37%); 1.0 (a hard switch) divides by zero.
constexpr float kScaleFull = 0.7f;
inline float scaled_raw(float raw, float ws) {
    const float k = clampf((raw - kScaleFull) * (1.f / (1.f - kScaleFull)), 0.f, 1.f);
    return raw * (ws + (1.f - ws) * k);
}
}  // namespace

KEYSWAP_ROW_KERNEL
void chroma_alpha_row(const std::uint8_t* __restrict rgba, const float* __restrict inv_ds, const float* __restrict ws,
                      const std::array<float, 3>& w, MatteLevels levels, int n, float* __restrict alpha) {
    const float w0 = w[0], w1 = w[1], w2 = w[2];
    for (int x = 0; x < n; ++x) {
        std::uint32_t px;  // one word per pixel (see chroma_alpha_sums_row)
        std::memcpy(&px, rgba + 4 * x, 4);
        const float d = w0 * float(px & 255u) + w1 * float((px >> 8) & 255u) + w2 * float((px >> 16) & 255u);
        const float raw = scaled_raw(1.f - d * inv_ds[x], ws[x]);
        alpha[x] = clampf(raw * levels.gain + levels.offset, 0.f, 1.f);
    }
}

KEYSWAP_ROW_KERNEL
void chroma_alpha_sums_row(const std::uint8_t* __restrict rgba, const float* __restrict inv0, const float* __restrict inv1,
                           const float* __restrict ws0, const float* __restrict ws1, float t,
                           const std::array<float, 3>& w, MatteLevels levels, int n, float* __restrict sums) {
    const float w0 = w[0], w1 = w[1], w2 = w[2];
    float* __restrict sr = sums;
    float* __restrict sg = sums + std::size_t(n);
    float* __restrict sb = sums + 2 * std::size_t(n);
    float* __restrict sp = sums + 3 * std::size_t(n);
    for (int x = 0; x < n; ++x) {
        std::uint32_t px;  // one word per pixel: shifts and masks, not a byte shuffle per channel
        std::memcpy(&px, rgba + 4 * x, 4);
        const float r = float(px & 255u), g = float((px >> 8) & 255u), b = float((px >> 16) & 255u);
        const float d = w0 * r + w1 * g + w2 * b;
        const float inv = inv0[x] + t * (inv1[x] - inv0[x]);
        const float ws = ws0[x] + t * (ws1[x] - ws0[x]);
        const float raw = scaled_raw(1.f - d * inv, ws);
        sr[x] += r;
        sg[x] += g;
        sb[x] += b;
        sp[x] += clampf(raw * levels.gain + levels.offset, 0.f, 1.f);
    }
}

KEYSWAP_ROW_KERNEL
void plate_alpha_row(const float* __restrict r, const float* __restrict g, const float* __restrict b,
                     const float* __restrict pr, const float* __restrict pg, const float* __restrict pb,
                     float tolerance, MatteLevels levels, int n, float* __restrict alpha) {
    const float inv = 1.f / std::max(1.f, tolerance);
    for (int x = 0; x < n; ++x) {
        const float dr = r[x] - pr[x], dg = g[x] - pg[x], db = b[x] - pb[x];
        const float raw = std::min(1.f, std::sqrt(dr * dr + dg * dg + db * db) * inv);
        alpha[x] = clampf(raw * levels.gain + levels.offset, 0.f, 1.f);
    }
}

}  // namespace keyswap::matte
