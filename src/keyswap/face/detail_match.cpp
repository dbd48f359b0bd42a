#include "keyswap/face/detail_match.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace keyswap::face {

namespace {
// Detail gains are bounded: beyond 2.5 an unsharp mask shows halos and amplifies JPEG blocks.
constexpr float kMaxGain = 2.5f;
// Differences under 10% are not visible; leave the image alone.
constexpr float kDeadBand = 0.1f;

// Standard deviation of (grey - blurred grey) over the area.
double detail(const cv::Mat& grey, const cv::Mat& blurred, const cv::Mat& area) {
    cv::Mat d;
    cv::subtract(grey, blurred, d, cv::noArray(), CV_32F);
    cv::Scalar mean, sd;
    cv::meanStdDev(d, mean, sd, area);
    return sd[0];
}
}  // namespace

float DetailMatcher::match(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float sigma) {
    if (cv::countNonZero(area) < 64) return 1.0f;
    cv::cvtColor(source, gs_, cv::COLOR_RGB2GRAY);
    cv::cvtColor(target, gt_, cv::COLOR_RGB2GRAY);
    cv::GaussianBlur(gs_, bs_, cv::Size(0, 0), sigma);
    cv::GaussianBlur(gt_, bt_, cv::Size(0, 0), sigma);
    const double ds = detail(gs_, bs_, area), dt = detail(gt_, bt_, area);
    if (ds < 1e-3) return 1.0f;
    const float gain = std::clamp(static_cast<float>(dt / ds), 0.0f, kMaxGain);
    if (std::abs(gain - 1.0f) < kDeadBand) return 1.0f;
    // out = blur + gain * (source - blur): gain > 1 sharpens, < 1 softens.
    cv::GaussianBlur(source, blur3_, cv::Size(0, 0), sigma);
    cv::addWeighted(source, gain, blur3_, 1.0f - gain, 0.0, source);
    return gain;
}

}  // namespace keyswap::face
