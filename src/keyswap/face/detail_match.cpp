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
// small or compressed face); the source is blurred by the amount (searched from 1 to about 6
// sigma) whose profile is nearest the target's.
constexpr double kSofter = 0.4;
// Profiles this close (L1, log units) to those the last blur was found for reuse it.
constexpr double kSameProfile = 0.1;

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

float DetailMatcher::search_blur(const cv::Vec2d& want, const cv::Vec2d& have, float sg) {
    auto miss = [&](float b) { return cv::norm(profile(fs_, area_small_, sg, b * sg) - want, cv::NORM_L1); };
    // Coarse steps an octave apart, then half an octave either side of the best.
    float best = 0;
    double best_d = cv::norm(have - want, cv::NORM_L1);
    for (float b : {1.0f, 2.0f, 4.0f}) {
        const double d = miss(b);
        if (d < best_d) best_d = d, best = b;
    }
    if (best > 0)
        for (float b : {best * 0.7f, best * 1.4f}) {
            const double d = miss(b);
            if (d < best_d) best_d = d, best = b;
        }
    return best;
}

float DetailMatcher::match_blur(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float sigma) {
    // Measured on the area's box at about one pixel per sigma: the profile is a ratio of
    // octave bands, which a shrink by sigma keeps, and a face at 1080p costs what one at 360p does.
    const cv::Rect box = cv::boundingRect(area);
    if (box.width < 16 || box.height < 16) return 0.0f;
    const double f = std::max(1.0, static_cast<double>(sigma));
    const float sg = static_cast<float>(sigma / f);
    const cv::Size small(std::max(8, static_cast<int>(box.width / f)), std::max(8, static_cast<int>(box.height / f)));
    cv::resize(gs_(box), fs_, small, 0, 0, cv::INTER_AREA);
    cv::resize(gt_(box), ft_, small, 0, 0, cv::INTER_AREA);
    cv::resize(area(box), area_small_, small, 0, 0, cv::INTER_NEAREST);
    fs_.convertTo(fs_, CV_32F);
    ft_.convertTo(ft_, CV_32F);
    const cv::Vec2d want = profile(ft_, area_small_, sg, 0);
    const cv::Vec2d have = profile(fs_, area_small_, sg, 0);
    // Only a target clearly softer than the source (its fine bands weaker by a third) is
    // matched by blurring: the fine-band gain below covers small differences and grain.
    if (want[0] > have[0] - kSofter) return 0.0f;
    // In a video the target's softness and the source's sharpness change slowly: while both
    // profiles stay where they were when the blur was last found, that blur still fits.
    const bool same = searched_ && cv::norm(want - last_want_, cv::NORM_L1) < kSameProfile &&
                      cv::norm(have - last_have_, cv::NORM_L1) < kSameProfile;
    float best = 0;
    if (same) {
        best = last_px_ / sigma;
    } else {
        best = search_blur(want, have, sg);
        last_want_ = want, last_have_ = have, last_px_ = best * sigma, searched_ = true;
    }
    const float px = best * sigma;  // back in the image's pixels
    if (px > 0) {
        // A wide blur runs on the picture shrunk so that it is about 2 px there: the same
        // softness for a fraction of the work (what it removes is what a shrink removes).
        const double k = std::max(1.0, px / 2.0);
        if (k > 1.5) {
            cv::resize(source, blur3_, cv::Size(), 1.0 / k, 1.0 / k, cv::INTER_AREA);
            cv::GaussianBlur(blur3_, blur3_, cv::Size(0, 0), std::sqrt(std::max(0.25, px * px / (k * k) - 0.25)));
            cv::resize(blur3_, source, source.size(), 0, 0, cv::INTER_LINEAR);
        } else {
            cv::GaussianBlur(source, source, cv::Size(0, 0), px);
        }
        cv::cvtColor(source, gs_, cv::COLOR_RGB2GRAY);
    }
    return px;
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
