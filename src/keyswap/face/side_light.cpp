#include "keyswap/face/side_light.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "keyswap/face/geometry.hpp"
#include "keyswap/face/head_pose.hpp"
#include "keyswap/face/occlusion.hpp"
#include "keyswap/face/warp.hpp"

namespace keyswap::face {
namespace {
// The light's asymmetry is measured at this scale (eye distances): a shadow's edge along the
// nose is followed, the features (a brow, a crease) are averaged away.
constexpr float kSigma = 0.25f;
// Photos of heads turned further than this (degrees of yaw) are left as they are.
constexpr double kMaxYaw = 20.0;
// One side at most this many times the other's light is evened (a stronger contrast is no
// longer a face's symmetric reflectance under a side light, or the landmarks are off).
constexpr float kMaxRatio = 4.0f;
// Where the usable pixels around a point weigh less than this, its gain fades to 1.
constexpr float kSupport = 0.2f;
}  // namespace

void even_side_light(cv::Mat& rgb, const cv::Mat& usable, const Landmarks& landmarks, const Mesh& mesh,
                     const std::vector<cv::Vec3i>& tris) {
    if (std::abs(estimate_pose(landmarks).yaw) > kMaxYaw) return;
    const float iod = inter_ocular(landmarks);
    if (iod < 8.0f) return;
    const cv::Mat hull = mesh_hull(mesh, rgb.size());
    cv::Mat luma;
    cv::cvtColor(rgb, luma, cv::COLOR_RGB2GRAY);
    const auto mirrors = mirror_through_mesh({luma, usable}, landmarks, mesh, tris);
    const cv::Mat& mirror_luma = mirrors[0];
    const cv::Mat& mirror_usable = mirrors[1];
    // Measured where both a pixel and its partner are usable face.
    cv::Mat both;
    cv::bitwise_and(hull, usable, both);
    cv::bitwise_and(both, mirror_usable >= 200, both);
    if (cv::countNonZero(both) < 64) return;
    cv::Mat w, own, other;
    both.convertTo(w, CV_32F, 1.0 / 255.0);
    luma.convertTo(own, CV_32F);
    mirror_luma.convertTo(other, CV_32F);
    own = own.mul(w);
    other = other.mul(w);
    const double sigma = std::max(1.0, static_cast<double>(kSigma * iod));
    cv::GaussianBlur(own, own, cv::Size(), sigma);
    cv::GaussianBlur(other, other, cv::Size(), sigma);
    cv::GaussianBlur(w, w, cv::Size(), sigma);
    const float lo = std::sqrt(1.0f / kMaxRatio), hi = std::sqrt(kMaxRatio);
    for (int y = 0; y < rgb.rows; ++y) {
        const float* o = own.ptr<float>(y);
        const float* m = other.ptr<float>(y);
        const float* s = w.ptr<float>(y);
        cv::Vec3b* p = rgb.ptr<cv::Vec3b>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            if (o[x] <= 1e-3f || m[x] <= 1e-3f) continue;
            // sqrt(mirror / own): this side brought to the geometric mean of the two.
            const float t = std::min(1.0f, s[x] / kSupport);
            const float gain = 1.0f + t * (std::clamp(std::sqrt(m[x] / o[x]), lo, hi) - 1.0f);
            for (int c = 0; c < 3; ++c) p[x][c] = cv::saturate_cast<std::uint8_t>(gain * static_cast<float>(p[x][c]));
        }
    }
}

}  // namespace keyswap::face
