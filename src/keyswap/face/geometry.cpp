#include "keyswap/face/geometry.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace keyswap::face {

namespace {
cv::Point2f mean_of(const Landmarks& l, int first, int count) {
    cv::Point2f s(0, 0);
    for (int i = first; i < first + count; ++i) s += l[i];
    return s * (1.0f / count);
}
}  // namespace

const std::array<int, kLandmarks> kMirrorLandmarks = {
    16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,  // jaw
    26, 25, 24, 23, 22, 21, 20, 19, 18, 17,                    // brows
    27, 28, 29, 30, 35, 34, 33, 32, 31,                        // nose
    45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,            // eyes
    54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,            // outer lips
    64, 63, 62, 61, 60, 67, 66, 65};                           // inner lips

Landmarks mirrored(const Landmarks& l, float right_edge) {
    Landmarks m;
    for (int i = 0; i < kLandmarks; ++i) {
        const cv::Point2f& p = l[static_cast<std::size_t>(kMirrorLandmarks[static_cast<std::size_t>(i)])];
        m[static_cast<std::size_t>(i)] = {right_edge - p.x, p.y};
    }
    return m;
}

cv::Point2f left_eye(const Landmarks& l) { return mean_of(l, 36, 6); }
cv::Point2f right_eye(const Landmarks& l) { return mean_of(l, 42, 6); }
float inter_ocular(const Landmarks& l) { return static_cast<float>(cv::norm(right_eye(l) - left_eye(l))); }

cv::Rect2f bounds(std::span<const cv::Point2f> pts) {
    if (pts.empty()) return {};
    float x0 = pts[0].x, y0 = pts[0].y, x1 = x0, y1 = y0;
    for (auto& p : pts) {
        x0 = std::min(x0, p.x), y0 = std::min(y0, p.y);
        x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
    }
    return {x0, y0, x1 - x0, y1 - y0};
}

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
    const float inter = (a & b).area();
    const float uni = a.area() + b.area() - inter;
    return uni > 0 ? inter / uni : 0.0f;
}

cv::Mat similarity_fit(std::span<const cv::Point2f> from, std::span<const cv::Point2f> to) {
    assert(from.size() == to.size() && !from.empty());
    const double n = static_cast<double>(from.size());
    double mfx = 0, mfy = 0, mtx = 0, mty = 0;
    for (std::size_t i = 0; i < from.size(); ++i) mfx += from[i].x, mfy += from[i].y, mtx += to[i].x, mty += to[i].y;
    mfx /= n, mfy /= n, mtx /= n, mty /= n;
    // Closed form for 2-D: with centred points, a = sum(f.t)/sum(f.f), b = sum(f x t)/sum(f.f).
    double dot = 0, cross = 0, ff = 0;
    for (std::size_t i = 0; i < from.size(); ++i) {
        const double fx = from[i].x - mfx, fy = from[i].y - mfy, tx = to[i].x - mtx, ty = to[i].y - mty;
        dot += fx * tx + fy * ty;
        cross += fx * ty - fy * tx;
        ff += fx * fx + fy * fy;
    }
    const double a = ff > 0 ? dot / ff : 1.0, b = ff > 0 ? cross / ff : 0.0;
    cv::Mat m = (cv::Mat_<double>(2, 3) << a, -b, mtx - (a * mfx - b * mfy), b, a, mty - (b * mfx + a * mfy));
    return m;
}

float shape_distance(const Landmarks& a, const Landmarks& b) {
    const cv::Mat m = similarity_fit(a, b);
    const double* r0 = m.ptr<double>(0);
    const double* r1 = m.ptr<double>(1);
    double sum = 0;
    for (int i = 0; i < kLandmarks; ++i) {
        const double x = r0[0] * a[i].x + r0[1] * a[i].y + r0[2];
        const double y = r1[0] * a[i].x + r1[1] * a[i].y + r1[2];
        sum += std::hypot(x - b[i].x, y - b[i].y);
    }
    const float iod = inter_ocular(b);
    return iod > 0 ? static_cast<float>(sum / kLandmarks / iod) : 1e9f;
}

}  // namespace keyswap::face
