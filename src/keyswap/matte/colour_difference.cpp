#include "keyswap/matte/colour_difference.hpp"

#include <algorithm>
#include <cmath>

namespace keyswap::matte {

void chroma_alpha_row(const float* __restrict r, const float* __restrict g, const float* __restrict b,
                      const float* __restrict sr, const float* __restrict sg, const float* __restrict sb,
                      const std::array<float, 3>& w, MatteLevels levels, int n, float* __restrict alpha) {
    const float w0 = w[0], w1 = w[1], w2 = w[2];
    for (int x = 0; x < n; ++x) {
        const float d = w0 * r[x] + w1 * g[x] + w2 * b[x];
        // A dark or unsaturated local screen would divide by ~0; 4 levels is below any real screen.
        const float ds = std::max(4.f, w0 * sr[x] + w1 * sg[x] + w2 * sb[x]);
        const float raw = 1.f - d / ds;
        alpha[x] = std::clamp(raw * levels.gain + levels.offset, 0.f, 1.f);
    }
}

void plate_alpha_row(const float* __restrict r, const float* __restrict g, const float* __restrict b,
                     const float* __restrict pr, const float* __restrict pg, const float* __restrict pb,
                     float tolerance, MatteLevels levels, int n, float* __restrict alpha) {
    const float inv = 1.f / std::max(1.f, tolerance);
    for (int x = 0; x < n; ++x) {
        const float dr = r[x] - pr[x], dg = g[x] - pg[x], db = b[x] - pb[x];
        const float raw = std::min(1.f, std::sqrt(dr * dr + dg * dg + db * db) * inv);
        alpha[x] = std::clamp(raw * levels.gain + levels.offset, 0.f, 1.f);
    }
}

}  // namespace keyswap::matte
