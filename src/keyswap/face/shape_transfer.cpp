#include "keyswap/face/shape_transfer.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "keyswap/face/source_library.hpp"

namespace keyswap::face {

namespace {
// Yaw-ratio difference (see yaw_ratio) at which the transfer has faded out completely.
constexpr float kYawFade = 0.35f;

// A face's eye frame: origin between the eye centres, x along the eyes, unit = eye distance.
struct EyeFrame {
    cv::Point2f o, ex, ey;
    float iod;
    explicit EyeFrame(const Landmarks& l) {
        const cv::Point2f a = left_eye(l), b = right_eye(l);
        o = (a + b) * 0.5f;
        iod = std::max(1.0f, static_cast<float>(cv::norm(b - a)));
        ex = (b - a) * (1.0f / iod);
        ey = {-ex.y, ex.x};
    }
    cv::Point2f to(cv::Point2f p) const { return {(p - o).dot(ex) / iod, (p - o).dot(ey) / iod}; }
    cv::Point2f from(cv::Point2f q) const { return o + (ex * q.x + ey * q.y) * iod; }
};

cv::Point2f centroid(const Landmarks& l, int first, int last) {
    cv::Point2f c(0, 0);
    for (int i = first; i <= last; ++i) c += l[i];
    return c * (1.0f / static_cast<float>(last - first + 1));
}
float width(const Landmarks& l, int a, int b) { return std::abs(l[b].x - l[a].x); }
}  // namespace

Landmarks transfer_shape(const Landmarks& target, const Landmarks& source, float amount) {
    const float a = amount * std::clamp(1.0f - std::abs(yaw_ratio(target) - yaw_ratio(source)) / kYawFade, 0.0f, 1.0f);
    if (a <= 0.0f) return target;
    const EyeFrame ft(target), fs(source);
    Landmarks t, s, out;
    for (int i = 0; i < kLandmarks; ++i) t[i] = ft.to(target[i]), s[i] = fs.to(source[i]);
    out = t;
    // The chin follows the target's mouth: compare jaws as if both mouths were equally open.
    const float open = (t[66].y - t[62].y) - (s[66].y - s[62].y);
    const float mouth_v = s[62].y, chin_v = std::max(s[8].y, mouth_v + 1e-3f);
    for (int i = 0; i <= 16; ++i) {
        const float w = std::clamp((s[i].y - mouth_v) / (chin_v - mouth_v), 0.0f, 1.0f);
        const cv::Point2f goal(s[i].x, s[i].y + open * w);
        out[i] = t[i] + (goal - t[i]) * a;
    }
    // Nose: its own shape (length, width), point by point.
    for (int i = 27; i <= 35; ++i) out[i] = t[i] + (s[i] - t[i]) * a;
    // Eyes: width about their centre (openness is expression and stays the target's).
    for (auto [first, last, c0, c1] : {std::array{36, 41, 36, 39}, std::array{42, 47, 42, 45}}) {
        const cv::Point2f ct = centroid(t, first, last), cs = centroid(s, first, last);
        const float k = 1.0f + a * (width(s, c0, c1) / std::max(1e-3f, width(t, c0, c1)) - 1.0f);
        const cv::Point2f shift = (cs - ct) * a;
        for (int i = first; i <= last; ++i) out[i] = {ct.x + (t[i].x - ct.x) * k + shift.x, t[i].y + shift.y};
    }
    // Brows and mouth: moved as a whole (their shape is expression).
    for (auto [first, last] : {std::pair{17, 21}, std::pair{22, 26}, std::pair{48, 67}}) {
        const cv::Point2f shift = (centroid(s, first, last) - centroid(t, first, last)) * a;
        for (int i = first; i <= last; ++i) out[i] = t[i] + shift;
    }
    for (int i = 0; i < kLandmarks; ++i) out[i] = ft.from(out[i]);
    return out;
}

void ShapeWarp::build(const Mesh& from, const Mesh& to, cv::Size size, float iod) {
    // Normalised Gaussian weights of the mesh points' displacements, plus a constant "no
    // motion" weight, so the field is the points' motion near the face and falls to zero
    // about an eye distance away. Computed on a coarse grid (it is smooth) and enlarged.
    const float sigma = 0.3f * iod, inv2s2 = 1.0f / (2 * sigma * sigma);
    const float still = std::exp(-0.8f * 0.8f * iod * iod * inv2s2);
    const int step = std::max(2, static_cast<int>(iod / 12));
    const cv::Size cs((size.width + step - 1) / step + 1, (size.height + step - 1) / step + 1);
    coarse_.create(cs, CV_32FC2);
    for (int gy = 0; gy < cs.height; ++gy) {
        auto* row = coarse_.ptr<cv::Vec2f>(gy);
        for (int gx = 0; gx < cs.width; ++gx) {
            const cv::Point2f p(static_cast<float>(gx * step), static_cast<float>(gy * step));
            float sw = still, dx = 0, dy = 0;
            for (int i = 0; i < kMeshPoints; ++i) {
                const cv::Point2f q = to[i] - p;
                const float w = std::exp(-(q.x * q.x + q.y * q.y) * inv2s2);
                sw += w;
                dx += w * (to[i].x - from[i].x);
                dy += w * (to[i].y - from[i].y);
            }
            row[gx] = {dx / sw, dy / sw};
        }
    }
    cv::Mat big;
    cv::resize(coarse_, big, cv::Size(cs.width * step, cs.height * step), 0, 0, cv::INTER_LINEAR);
    const cv::Mat d = big(cv::Rect(0, 0, size.width, size.height));
    map_.create(size, CV_32FC2);
    support_.create(size, CV_32F);
    for (int y = 0; y < size.height; ++y) {
        const auto* dr = d.ptr<cv::Vec2f>(y);
        auto* mr = map_.ptr<cv::Vec2f>(y);
        float* sr = support_.ptr<float>(y);
        for (int x = 0; x < size.width; ++x) {
            mr[x] = {x - dr[x][0], y - dr[x][1]};
            sr[x] = std::min(1.0f, 4.0f * std::sqrt(dr[x][0] * dr[x][0] + dr[x][1] * dr[x][1]));
        }
    }
}

void ShapeWarp::apply(const cv::Mat& in, cv::Mat& out) const {
    cv::remap(in, out, map_, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
}

}  // namespace keyswap::face
