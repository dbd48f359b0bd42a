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
// Blur matching: a target whose fine-to-coarse detail ratio is below the source's by more than
// this (log units: a third) is softer than the fine-band gain can follow (defocus, motion, a
// small or compressed face); the source is blurred by the step (in units of sigma) whose
// profile is nearest the target's.
constexpr double kSofter = 0.4;
constexpr float kBlurSteps[] = {0.7f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 4.0f, 6.0f};

// Standard deviation of (grey - blurred grey) over the area.
double detail(const cv::Mat& grey, const cv::Mat& blurred, const cv::Mat& area) {
    cv::Mat d;
    cv::subtract(grey, blurred, d, cv::noArray(), CV_32F);
    cv::Scalar mean, sd;
    cv::meanStdDev(d, mean, sd, area);
    return sd[0];
}
}  // namespace

// Contrast-free sharpness profile of `grey` (CV_32F) inside `area`, as if it were first blurred
// by `extra` px: with detail bands below sigma, from sigma to 2 sigma and from 2 to 4 sigma
// (differences of Gaussian blurs), the log ratios of the first two to the third. A blurred
// picture loses its fine bands first, whatever the contrast of the face's features.
cv::Vec2d DetailMatcher::profile(const cv::Mat& grey, const cv::Mat& area, float sigma, float extra) {
    const float s[4] = {extra, std::hypot(extra, sigma), std::hypot(extra, 2 * sigma), std::hypot(extra, 4 * sigma)};
    for (int k = 0; k < 4; ++k) {
        if (s[k] < 0.3f)
            grey.copyTo(levels_[k]);
        else
            cv::GaussianBlur(grey, levels_[k], cv::Size(0, 0), s[k]);
    }
    double e[3];
    for (int k = 0; k < 3; ++k) e[k] = std::max(1e-4, detail(levels_[k], levels_[k + 1], area));
    return {std::log(e[0] / e[2]), std::log(e[1] / e[2])};
}

float DetailMatcher::match_blur(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float sigma) {
    gs_.convertTo(fs_, CV_32F);
    gt_.convertTo(ft_, CV_32F);
    const cv::Vec2d want = profile(ft_, area, sigma, 0);
    const cv::Vec2d have = profile(fs_, area, sigma, 0);
    // Only a target clearly softer than the source (its fine bands weaker by a third) is
    // matched by blurring: the fine-band gain below covers small differences and grain.
    if (want[0] > have[0] - kSofter) return 0.0f;
    float best = 0;
    double best_d = std::abs(have[0] - want[0]) + std::abs(have[1] - want[1]);
    for (float b : kBlurSteps) {
        const cv::Vec2d p = profile(fs_, area, sigma, b * sigma);
        const double d = std::abs(p[0] - want[0]) + std::abs(p[1] - want[1]);
        if (d < best_d) best_d = d, best = b * sigma;
    }
    if (best > 0) {
        cv::GaussianBlur(source, source, cv::Size(0, 0), best);
        cv::cvtColor(source, gs_, cv::COLOR_RGB2GRAY);
    }
    return best;
}

float DetailMatcher::match(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float sigma) {
    if (cv::countNonZero(area) < 64) return 1.0f;
    cv::cvtColor(source, gs_, cv::COLOR_RGB2GRAY);
    cv::cvtColor(target, gt_, cv::COLOR_RGB2GRAY);
    last_blur_ = match_blur(source, target, area, sigma);
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
