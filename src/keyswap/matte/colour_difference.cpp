#include "keyswap/matte/colour_difference.hpp"

#include <algorithm>

#include "keyswap/matte/row_kernels.hpp"
#include <cmath>
#include <cstring>

namespace keyswap::matte {

KEYSWAP_ROW_KERNEL
void chroma_alpha_row(const std::uint8_t* __restrict rgba, const float* __restrict ds, const std::array<float, 3>& w,
                      MatteLevels levels, int n, float* __restrict alpha) {
    const float w0 = w[0], w1 = w[1], w2 = w[2];
    for (int x = 0; x < n; ++x) {
        std::uint32_t px;  // one word per pixel (see chroma_alpha_sums_row)
        std::memcpy(&px, rgba + 4 * x, 4);
        const float d = w0 * float(px & 255u) + w1 * float((px >> 8) & 255u) + w2 * float((px >> 16) & 255u);
        // A dark or unsaturated local screen would divide by ~0; 4 levels is below any real screen.
        const float raw = 1.f - d / floor_at(ds[x], 4.f);
        alpha[x] = clampf(raw * levels.gain + levels.offset, 0.f, 1.f);
    }
}

KEYSWAP_ROW_KERNEL
void chroma_alpha_sums_row(const std::uint8_t* __restrict rgba, const float* __restrict ds0, const float* __restrict ds1,
                           float t, const std::array<float, 3>& w, MatteLevels levels, int n, float* __restrict sums) {
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
        const float ds = ds0[x] + t * (ds1[x] - ds0[x]);
        const float raw = 1.f - d / floor_at(ds, 4.f);
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
