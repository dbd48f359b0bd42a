#pragma once
// Small row helpers shared by the keyer's kernels: RGBA8 <-> float SoA rows and linear
// up-sampling of a coarse row. Rows are contiguous and loops branch-free so GCC vectorises them.
// Thread safety: pure functions on caller-owned rows.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace keyswap::matte {

// Splits n RGBA8 pixels into three float rows (0..255).
inline void deinterleave_rgb(const std::uint8_t* __restrict rgba, int n, float* __restrict r, float* __restrict g,
                             float* __restrict b) {
    for (int x = 0; x < n; ++x) {
        r[x] = rgba[4 * x];
        g[x] = rgba[4 * x + 1];
        b[x] = rgba[4 * x + 2];
    }
}

// Linearly interpolates a coarse row `lo` of `lw` samples, whose sample i sits at the centre of
// the pixel span [i*cell, (i+1)*cell), onto `width` pixels; ends are held constant.
// Works in segments between sample centres so each inner loop is a plain ramp.
inline void expand_linear(const float* lo, int lw, int cell, int width, float* out) {
    const float inv_cell = 1.f / float(cell);
    for (int i = -1; i < lw; ++i) {
        const int x0 = std::max(0, int(std::ceil((float(i) + 0.5f) * float(cell) - 0.5f)));
        const int x1 = std::min(width, int(std::ceil((float(i) + 1.5f) * float(cell) - 0.5f)));
        if (x0 >= x1) continue;
        const float a = lo[std::clamp(i, 0, lw - 1)];
        const float slope = lo[std::clamp(i + 1, 0, lw - 1)] - a;
        const float base = 0.5f * inv_cell - 0.5f - float(i);
        for (int x = x0; x < x1; ++x) out[x] = a + slope * (float(x) * inv_cell + base);
    }
}

inline std::uint8_t to_u8(float v) { return std::uint8_t(std::clamp(v, 0.f, 255.f) + 0.5f); }

}  // namespace keyswap::matte
