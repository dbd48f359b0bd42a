#include "keyswap/matte/despill.hpp"

#include <algorithm>

namespace keyswap::matte {

void solve_foreground_row(float* __restrict r, float* __restrict g, float* __restrict b, const float* __restrict sr,
                          const float* __restrict sg, const float* __restrict sb, const float* __restrict alpha,
                          int n) {
    for (int x = 0; x < n; ++x) {
        const float a = alpha[x];
        // 1/255 floor: below one 8-bit step the colour cannot be seen and noise would explode.
        const float inv = 1.f / std::max(a, 1.f / 255.f);
        const float k = 1.f - a;
        r[x] = std::clamp((r[x] - k * sr[x]) * inv, 0.f, 255.f);
        g[x] = std::clamp((g[x] - k * sg[x]) * inv, 0.f, 255.f);
        b[x] = std::clamp((b[x] - k * sb[x]) * inv, 0.f, 255.f);
    }
}

void despill_row(float* __restrict p, float* __restrict a, float* __restrict b, const DespillParams& d,
                 const std::array<float, 3>& luma, int n) {
    const float s = d.strength, bal = d.balance, restore = d.luma_restore * luma[0];
    for (int x = 0; x < n; ++x) {
        const float limit = bal * a[x] + (1.f - bal) * b[x];
        const float removed = s * std::max(0.f, p[x] - limit);
        const float back = restore * removed;
        p[x] = std::min(255.f, p[x] - removed + back);
        a[x] = std::min(255.f, a[x] + back);
        b[x] = std::min(255.f, b[x] + back);
    }
}

}  // namespace keyswap::matte
