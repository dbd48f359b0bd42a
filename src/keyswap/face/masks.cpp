#include "keyswap/face/masks.hpp"

#include <numeric>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"

namespace keyswap::face {

namespace {
void append_range(std::vector<int>& v, int first, int last) {
    for (int i = first; i <= last; ++i) v.push_back(i);
}
// smoothstep(clamp(d / width)) in place: C1 at both ends, so no visible edge in the ramp.
void ramp_mask(cv::Mat& dist, float width) {
    const float inv = 1.0f / std::max(width, 1e-3f);
    for (int y = 0; y < dist.rows; ++y) {
        float* r = dist.ptr<float>(y);
        for (int x = 0; x < dist.cols; ++x) {
            const float t = std::min(1.0f, r[x] * inv);
            r[x] = t * t * (3.0f - 2.0f * t);
        }
    }
}
}  // namespace

void MaskRenderer::exclude(const cv::Mat& occluded, float ramp) {
    if (cv::countNonZero(occluded) == 0) return;
    hard_.setTo(0, occluded);
    cv::bitwise_not(occluded, free_);
    // Distance to the nearest occluder pixel: 0 on it, so those pixels stay the target's.
    cv::distanceTransform(free_, dist_, cv::DIST_L2, cv::DIST_MASK_3);
    ramp_mask(dist_, ramp);
    cv::multiply(weight_, dist_, weight_);
}

void MaskRenderer::fade(const cv::Mat& amount) {
    CV_Assert(amount.size() == weight_.size() && amount.type() == CV_32F);
    cv::subtract(1.0, amount, dist_);
    cv::multiply(weight_, dist_, weight_);
}

std::vector<int> area_points(MaskArea area) {
    std::vector<int> v;
    switch (area) {
        case MaskArea::Face:
            append_range(v, 0, 16);
            append_range(v, kLandmarks, kMeshPoints - 1);
            break;
        case MaskArea::Upper:
            append_range(v, 0, 2);
            append_range(v, 14, 16);
            append_range(v, 31, 35);
            append_range(v, kLandmarks, kMeshPoints - 1);
            break;
        case MaskArea::Lower:
            append_range(v, 2, 14);
            append_range(v, 29, 35);
            break;
        case MaskArea::EyesNose:
            append_range(v, 17, 47);
            break;
    }
    return v;
}

std::vector<cv::Point> inner_mouth_polygon(const Mesh& mesh) {
    std::vector<cv::Point> p;
    for (int i = 60; i <= 67; ++i) p.emplace_back(static_cast<int>(std::lround(mesh[i].x)), static_cast<int>(std::lround(mesh[i].y)));
    return p;
}

float mouth_opening(const Landmarks& l) {
    const float gap = static_cast<float>(cv::norm(l[61] - l[67]) + cv::norm(l[62] - l[66]) + cv::norm(l[63] - l[65])) / 3;
    return gap / std::max(1.0f, inter_ocular(l));
}

void MaskRenderer::render(MaskArea area, float keep_mouth, const Mesh& mesh, float feather, cv::Size size,
                          const cv::Mat& mouth) {
    std::vector<cv::Point> pts;
    for (int i : area_points(area))
        pts.emplace_back(static_cast<int>(std::lround(mesh[i].x)), static_cast<int>(std::lround(mesh[i].y)));
    cv::convexHull(pts, poly_);
    hard_.create(size, CV_8U);
    hard_.setTo(0);
    cv::fillConvexPoly(hard_, poly_, 255, cv::LINE_8);
    // Distance to the nearest outside pixel: 0 on the edge, growing inwards.
    cv::distanceTransform(hard_, weight_, cv::DIST_L2, cv::DIST_MASK_3);
    ramp_mask(weight_, feather);
    if (keep_mouth > 0.0f) {
        if (mouth.empty()) {
            mouth_.create(size, CV_8U);
            mouth_.setTo(255);
            const auto lips = inner_mouth_polygon(mesh);
            cv::fillPoly(mouth_, std::vector<std::vector<cv::Point>>{lips}, 0, cv::LINE_8);
        } else {
            CV_Assert(mouth.size() == size && mouth.type() == CV_8U);
            cv::bitwise_not(mouth, mouth_);
        }
        // Distance from the mouth opening: exactly 0 inside it, so those pixels stay the target's.
        cv::distanceTransform(mouth_, dist_, cv::DIST_L2, cv::DIST_MASK_3);
        ramp_mask(dist_, feather * 0.35f);
        if (keep_mouth < 1.0f) dist_ = 1.0f - keep_mouth * (1.0f - dist_);
        cv::multiply(weight_, dist_, weight_);
    }
}

}  // namespace keyswap::face
