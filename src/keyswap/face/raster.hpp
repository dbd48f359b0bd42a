#pragma once
// Filling a triangle pixel by pixel with its barycentric coordinates.
//
// What this represents: the one rasteriser behind the face's piecewise maps (warp.cpp), the
// generic head's depth table (head_pose.cpp) and a source photo's atlas (reprojection.cpp).
// Thread safety: pure function.
#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>

namespace keyswap::face {

// Calls f(row, x, l0, l1, l2) for each pixel of a grid `size` inside triangle (a, b, c), with
// its barycentric coordinates. A small tolerance closes hairline cracks between neighbours;
// a triangle collapsed to a line is skipped.
template <class F>
void raster_triangle(cv::Point2f a, cv::Point2f b, cv::Point2f c, cv::Size size, F&& f) {
    const float den = (b.y - c.y) * (a.x - c.x) + (c.x - b.x) * (a.y - c.y);
    if (std::abs(den) < 1e-3f) return;
    const float inv = 1.0f / den;
    const int x0 = std::max(0, static_cast<int>(std::floor(std::min({a.x, b.x, c.x}))));
    const int x1 = std::min(size.width - 1, static_cast<int>(std::ceil(std::max({a.x, b.x, c.x}))));
    const int y0 = std::max(0, static_cast<int>(std::floor(std::min({a.y, b.y, c.y}))));
    const int y1 = std::min(size.height - 1, static_cast<int>(std::ceil(std::max({a.y, b.y, c.y}))));
    constexpr float eps = -1e-4f;
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
            const float l0 = ((b.y - c.y) * (x - c.x) + (c.x - b.x) * (y - c.y)) * inv;
            const float l1 = ((c.y - a.y) * (x - c.x) + (a.x - c.x) * (y - c.y)) * inv;
            const float l2 = 1.0f - l0 - l1;
            if (l0 < eps || l1 < eps || l2 < eps) continue;
            f(y, x, l0, l1, l2);
        }
}

}  // namespace keyswap::face
