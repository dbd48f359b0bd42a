#pragma once
// Box means at low resolution, in row steps, for the guided filter's statistics.
//
// What this represents: a configured (width, height, radius) mean over a (2r+1)^2 window
// clipped at the borders (each output divides by the number of pixels actually inside). The
// filter is separable and used in two row-local steps, so callers can fuse each with their own
// per-row work instead of running whole-plane passes: `sum_x` (a row's horizontal window sums)
// and `mean_y` (the vertical window sum of already x-summed rows, normalised).
// Thread safety: const member functions on caller-owned rows; safe from many threads.
#include <cstddef>
#include <vector>

namespace keyswap::matte {

class BoxMean {
public:
    // requires: width, height >= 1, radius >= 0. Allocates only when the shape changes.
    void configure(int width, int height, int radius);
    int radius() const { return r_; }

    // dst[x] = sum of src over [x-r, x+r] clipped to the row (width floats each).
    void sum_x(const float* src, float* dst) const;
    // dst = mean at row y from the x-summed plane `xsum` (rows of width floats, `stride` apart):
    // the sum of rows [y-r, y+r] clipped, divided by the clipped window's pixel count.
    void mean_y(const float* xsum, std::size_t stride, int y, float* dst) const;

private:
    int w_ = 0, h_ = 0, r_ = 0;
    std::vector<float> inv_x_;  // 1 / horizontal window size at x
    std::vector<float> inv_y_;  // 1 / vertical window size at y
};

}  // namespace keyswap::matte
