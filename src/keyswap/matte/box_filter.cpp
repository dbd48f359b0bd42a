#include "keyswap/matte/box_filter.hpp"

#include <algorithm>

#include "keyswap/matte/row_kernels.hpp"

namespace keyswap::matte {

void BoxMean::configure(int width, int height, int radius) {
    w_ = width;
    h_ = height;
    r_ = radius;
    inv_x_.resize(width);
    inv_y_.resize(height);
    for (int x = 0; x < width; ++x) inv_x_[x] = 1.f / float(std::min(width - 1, x + radius) - std::max(0, x - radius) + 1);
    for (int y = 0; y < height; ++y) inv_y_[y] = 1.f / float(std::min(height - 1, y + radius) - std::max(0, y - radius) + 1);
}

namespace {

// Direct window sums rather than running sums: radii are small at low resolution, and a sum
// over shifted rows vectorises where a running sum is one long dependency chain.
KEYSWAP_ROW_KERNEL
void window_sum_row(const float* __restrict src, float* __restrict dst, int w, int r) {
    const int lo = std::min(r, w), hi = std::max(lo, w - r);
    for (int x = 0; x < lo; ++x) {
        float s = 0.f;
        for (int i = std::max(0, x - r); i <= std::min(w - 1, x + r); ++i) s += src[i];
        dst[x] = s;
    }
    for (int x = lo; x < hi; ++x) dst[x] = 0.f;
    for (int d = -r; d <= r; ++d)
        for (int x = lo; x < hi; ++x) dst[x] += src[x + d];
    for (int x = hi; x < w; ++x) {
        float s = 0.f;
        for (int i = std::max(0, x - r); i <= std::min(w - 1, x + r); ++i) s += src[i];
        dst[x] = s;
    }
}

// dst = (sum of rows[a..b]) * iy * ix[x].
KEYSWAP_ROW_KERNEL
void column_mean_row(const float* base, std::size_t stride, int a, int b, float iy, const float* __restrict ix, int w,
                     float* __restrict dst) {
    std::fill(dst, dst + w, 0.f);
    for (int yy = a; yy <= b; ++yy) {
        const float* __restrict src = base + std::size_t(yy) * stride;
        for (int x = 0; x < w; ++x) dst[x] += src[x];
    }
    for (int x = 0; x < w; ++x) dst[x] *= iy * ix[x];
}

}  // namespace

void BoxMean::sum_x(const float* src, float* dst) const { window_sum_row(src, dst, w_, r_); }

void BoxMean::mean_y(const float* xsum, std::size_t stride, int y, float* dst) const {
    column_mean_row(xsum, stride, std::max(0, y - r_), std::min(h_ - 1, y + r_), inv_y_[y], inv_x_.data(), w_, dst);
}

}  // namespace keyswap::matte
