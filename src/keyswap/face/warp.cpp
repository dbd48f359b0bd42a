#include "keyswap/face/warp.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace keyswap::face {

void PiecewiseWarp::build(const Mesh& dst, const Mesh& src, const std::vector<cv::Vec3i>& tris, cv::Size size) {
    map_.create(size, CV_32FC2);
    // Background: the best single similarity, so uncovered pixels still land on the face.
    {
        const cv::Mat g = similarity_fit(dst, src);
        const double* r0 = g.ptr<double>(0);
        const double* r1 = g.ptr<double>(1);
        for (int y = 0; y < size.height; ++y) {
            auto* row = map_.ptr<cv::Vec2f>(y);
            for (int x = 0; x < size.width; ++x)
                row[x] = {static_cast<float>(r0[0] * x + r0[1] * y + r0[2]), static_cast<float>(r1[0] * x + r1[1] * y + r1[2])};
        }
    }
    for (const auto& t : tris) {
        const cv::Point2f a = dst[t[0]], b = dst[t[1]], c = dst[t[2]];
        const float den = (b.y - c.y) * (a.x - c.x) + (c.x - b.x) * (a.y - c.y);
        if (std::abs(den) < 1e-3f) continue;  // collapsed in this pose: the background covers it
        const float inv = 1.0f / den;
        const int x0 = std::max(0, static_cast<int>(std::floor(std::min({a.x, b.x, c.x}))));
        const int x1 = std::min(size.width - 1, static_cast<int>(std::ceil(std::max({a.x, b.x, c.x}))));
        const int y0 = std::max(0, static_cast<int>(std::floor(std::min({a.y, b.y, c.y}))));
        const int y1 = std::min(size.height - 1, static_cast<int>(std::ceil(std::max({a.y, b.y, c.y}))));
        const cv::Point2f sa = src[t[0]], sb = src[t[1]], sc = src[t[2]];
        // A small tolerance closes hairline cracks between neighbouring triangles.
        constexpr float eps = -1e-4f;
        for (int y = y0; y <= y1; ++y) {
            auto* row = map_.ptr<cv::Vec2f>(y);
            for (int x = x0; x <= x1; ++x) {
                const float l0 = ((b.y - c.y) * (x - c.x) + (c.x - b.x) * (y - c.y)) * inv;
                const float l1 = ((c.y - a.y) * (x - c.x) + (a.x - c.x) * (y - c.y)) * inv;
                const float l2 = 1.0f - l0 - l1;
                if (l0 < eps || l1 < eps || l2 < eps) continue;
                row[x] = {l0 * sa.x + l1 * sb.x + l2 * sc.x, l0 * sa.y + l1 * sb.y + l2 * sc.y};
            }
        }
    }
}

void PiecewiseWarp::apply(const cv::Mat& source, cv::Mat& out) const {
    cv::remap(source, out, map_, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
}

}  // namespace keyswap::face
