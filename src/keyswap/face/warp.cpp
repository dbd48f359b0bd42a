#include "keyswap/face/warp.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace keyswap::face {

namespace {
// Calls f(row, x, l0, l1, l2) for each pixel of `size` inside triangle (a, b, c), with its
// barycentric coordinates. A small tolerance closes hairline cracks between neighbours.
template <class F>
void raster_triangle(cv::Point2f a, cv::Point2f b, cv::Point2f c, cv::Size size, F&& f) {
    const float den = (b.y - c.y) * (a.x - c.x) + (c.x - b.x) * (a.y - c.y);
    if (std::abs(den) < 1e-3f) return;  // collapsed in this pose
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
}  // namespace

// Background: the best single similarity, so uncovered pixels still land on the face.
void PiecewiseWarp::fill_similarity(const Mesh& dst, const Mesh& src, cv::Size size) {
    map_.create(size, CV_32FC2);
    const cv::Mat g = similarity_fit(dst, src);
    const double* r0 = g.ptr<double>(0);
    const double* r1 = g.ptr<double>(1);
    for (int y = 0; y < size.height; ++y) {
        auto* row = map_.ptr<cv::Vec2f>(y);
        for (int x = 0; x < size.width; ++x)
            row[x] = {static_cast<float>(r0[0] * x + r0[1] * y + r0[2]), static_cast<float>(r1[0] * x + r1[1] * y + r1[2])};
    }
}

void PiecewiseWarp::build(const DenseMesh& dense, const Mesh& dst, const Mesh& src, cv::Size size) {
    fill_similarity(dst, src, size);
    for (const auto& t : dense.triangles) {
        const cv::Point2f sa = dense.source[t[0]], sb = dense.source[t[1]], sc = dense.source[t[2]];
        raster_triangle(dense.target[t[0]], dense.target[t[1]], dense.target[t[2]], size, [&](int y, int x, float l0, float l1, float l2) {
            map_.at<cv::Vec2f>(y, x) = {l0 * sa.x + l1 * sb.x + l2 * sc.x, l0 * sa.y + l1 * sb.y + l2 * sc.y};
        });
    }
}

void PiecewiseWarp::build(const Mesh& dst, const Mesh& src, const std::vector<cv::Vec3i>& tris, cv::Size size) {
    fill_similarity(dst, src, size);
    for (const auto& t : tris) {
        const cv::Point2f sa = src[t[0]], sb = src[t[1]], sc = src[t[2]];
        raster_triangle(dst[t[0]], dst[t[1]], dst[t[2]], size, [&](int y, int x, float l0, float l1, float l2) {
            map_.at<cv::Vec2f>(y, x) = {l0 * sa.x + l1 * sb.x + l2 * sc.x, l0 * sa.y + l1 * sb.y + l2 * sc.y};
        });
    }
}

void render_vertex_field(const Mesh& dst, const std::vector<cv::Vec3i>& tris, const std::array<float, kMeshPoints>& values,
                         cv::Size size, cv::Mat& out) {
    out.create(size, CV_32F);
    out.setTo(0);
    for (const auto& t : tris) {
        const float va = values[t[0]], vb = values[t[1]], vc = values[t[2]];
        raster_triangle(dst[t[0]], dst[t[1]], dst[t[2]], size,
                        [&](int y, int x, float l0, float l1, float l2) { out.at<float>(y, x) = l0 * va + l1 * vb + l2 * vc; });
    }
}

void PiecewiseWarp::apply(const cv::Mat& source, cv::Mat& out) const {
    cv::remap(source, out, map_, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
}

}  // namespace keyswap::face
