#pragma once
// Small row helpers shared by the keyer's kernels: RGBA8 <-> float SoA rows and linear
// up-sampling of a coarse row. Rows are contiguous and loops branch-free so GCC vectorises them.
// Thread safety: pure functions on caller-owned rows.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "keyswap/core/row_kernel.hpp"

namespace keyswap::matte {


// Splits n RGBA8 pixels into three float rows (0..255).
void deinterleave_rgb(const std::uint8_t* rgba, int n, float* r, float* g, float* b);

// Linearly interpolates a coarse row `lo` of `lw` samples, whose sample i sits at the centre of
// the pixel span [i*cell, (i+1)*cell), onto `width` pixels; ends are held constant.
void expand_linear(const float* lo, int lw, int cell, int width, float* out);

// Packs float rows (colour 0..255, alpha 0..1) into RGBA8 with rounding and clamping.
void pack_rgba_row(const float* r, const float* g, const float* b, const float* a, int n, std::uint8_t* rgba);

// Clamp on values (std::clamp returns a reference and keeps loops scalar).
inline float clampf(float v, float lo, float hi) { return std::min(std::max(v, lo), hi); }

// max(v, lo) without a select: GCC (with its default -ftrapping-math) will not if-convert a
// select that feeds a division or a float->int conversion, which would leave the loop scalar.
inline float floor_at(float v, float lo) { return 0.5f * (v + lo + std::fabs(v - lo)); }

// float -> 0..255 with rounding, clamped after the conversion to int so loops vectorise (see
// floor_at). requires: v finite and far inside int range.
inline std::uint32_t to_level(float v) {
    const int i = int(v + 0.5f);
    return std::uint32_t(i < 0 ? 0 : i > 255 ? 255 : i);
}

inline std::uint8_t to_u8(float v) { return std::uint8_t(clampf(v, 0.f, 255.f) + 0.5f); }

}  // namespace keyswap::matte
