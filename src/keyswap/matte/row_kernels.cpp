#include "keyswap/matte/row_kernels.hpp"

namespace keyswap::matte {

KEYSWAP_ROW_KERNEL
void deinterleave_rgb(const std::uint8_t* __restrict rgba, int n, float* __restrict r, float* __restrict g,
                      float* __restrict b) {
    for (int x = 0; x < n; ++x) {
        r[x] = rgba[4 * x];
        g[x] = rgba[4 * x + 1];
        b[x] = rgba[4 * x + 2];
    }
}

namespace {
// expand_linear for a small cell known at compile time: sample i sits at i*C + (C-1)/2, so the
// pixels between centres i and i+1 start at i*C + C/2 and have the same C weights for every i;
// each segment is then one short vector op (broadcast, FMA with the weights) instead of a
// loop with its own set-up. requires: (lw-1)*C + C/2 <= width.
template <int C>
KEYSWAP_ROW_KERNEL void expand_cells(const float* __restrict lo, int lw, int width, float* __restrict out) {
    constexpr int h = C / 2;
    float wq[C];
    for (int q = 0; q < C; ++q) wq[q] = (float(h + q) + 0.5f) / float(C) - 0.5f;
    for (int x = 0; x < std::min(h, width); ++x) out[x] = lo[0];
    for (int i = 0; i + 1 < lw; ++i) {
        const float a = lo[i], d = lo[i + 1] - lo[i];
        float* __restrict o = out + std::size_t(i) * C + h;
        for (int q = 0; q < C; ++q) o[q] = a + d * wq[q];
    }
    for (int x = (lw - 1) * C + h; x < width; ++x) out[x] = lo[lw - 1];
}
}  // namespace

// Works in segments between sample centres so each inner loop is a plain ramp.
KEYSWAP_ROW_KERNEL
void expand_linear(const float* lo, int lw, int cell, int width, float* __restrict out) {
    if ((lw - 1) * cell + cell / 2 <= width) {
        switch (cell) {
            case 1: std::copy(lo, lo + width, out); return;
            case 2: expand_cells<2>(lo, lw, width, out); return;
            case 3: expand_cells<3>(lo, lw, width, out); return;
            case 4: expand_cells<4>(lo, lw, width, out); return;
            case 5: expand_cells<5>(lo, lw, width, out); return;
            case 6: expand_cells<6>(lo, lw, width, out); return;
            case 7: expand_cells<7>(lo, lw, width, out); return;
            case 8: expand_cells<8>(lo, lw, width, out); return;
            default: break;
        }
    }
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

// Converts first and clamps in integers so the loop vectorises (see floor_at).
KEYSWAP_ROW_KERNEL
void pack_rgba_row(const float* __restrict r, const float* __restrict g, const float* __restrict b,
                   const float* __restrict a, int n, std::uint8_t* __restrict rgba) {
    for (int x = 0; x < n; ++x) {
        const std::uint32_t px = to_level(r[x]) | to_level(g[x]) << 8 | to_level(b[x]) << 16 | to_level(a[x] * 255.f) << 24;
        std::memcpy(rgba + 4 * x, &px, 4);  // RGBA byte order on little-endian hosts
    }
}

}  // namespace keyswap::matte
