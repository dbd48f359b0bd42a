#include "keyswap/matte/box_filter.hpp"

#include <algorithm>

#include "keyswap/matte/row_kernels.hpp"

namespace keyswap::matte {

void BoxMean::configure(int width, int height, int radius, int planes) {
    w_ = width;
    h_ = height;
    r_ = radius;
    const std::size_t need = std::size_t(planes) * width * height;
    if (tmp_.size() < need) tmp_.resize(need);
    inv_x_.resize(width);
    inv_y_.resize(height);
    for (int x = 0; x < width; ++x) inv_x_[x] = 1.f / float(std::min(width - 1, x + radius) - std::max(0, x - radius) + 1);
    for (int y = 0; y < height; ++y) inv_y_[y] = 1.f / float(std::min(height - 1, y + radius) - std::max(0, y - radius) + 1);
}

namespace {

// dst[x] = sum of src over [x-r, x+r] clipped to the row.
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

void BoxMean::run(const float* const* in, float* const* out, int planes, ThreadPool& pool) {
    const int w = w_, h = h_, r = r_;
    const std::size_t area = std::size_t(w) * h;
    // Direct window sums rather than running sums: radii are small at low resolution, and a sum
    // over shifted rows vectorises where a running sum is one long dependency chain.
    pool.parallel_rows(h, [&](int y0, int y1) {
        for (int k = 0; k < planes; ++k)
            for (int y = y0; y < y1; ++y)
                window_sum_row(in[k] + std::size_t(y) * w, tmp_.data() + k * area + std::size_t(y) * w, w, r);
    }, 8);
    pool.parallel_rows(h, [&](int y0, int y1) {
        for (int k = 0; k < planes; ++k)
            for (int y = y0; y < y1; ++y)
                column_mean_row(tmp_.data() + k * area, std::size_t(w), std::max(0, y - r), std::min(h - 1, y + r), inv_y_[y],
                                inv_x_.data(), w, out[k] + std::size_t(y) * w);
    }, 8);
}

}  // namespace keyswap::matte
