#include "keyswap/face/colour_transfer.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace keyswap::face {

void ColourMatcher::add_shading(const cv::Mat& area, float sigma) {
    // Lightness only: chroma differences at this scale are mostly identity (beard, make-up).
    // The blur runs at 1/f resolution (the result is smooth anyway), which makes it cheap.
    const int f = std::max(1, static_cast<int>(sigma / 3.0f));
    const cv::Size small((s_.cols + f - 1) / f, (s_.rows + f - 1) / f);
    area.convertTo(areaf_, CV_32F, 1.0 / 255.0);
    cv::extractChannel(s_, ls_, 0);
    cv::extractChannel(t_, lt_, 0);
    // Normalised convolution: blur(v * a) / blur(a) averages face pixels only, so the
    // background around the face does not bleed into the shading estimate.
    cv::multiply(ls_, areaf_, ls_);
    cv::multiply(lt_, areaf_, lt_);
    const cv::Mat* in[3] = {&ls_, &lt_, &areaf_};
    cv::Mat* out[3] = {&blur_s_, &blur_t_, &blur_a_};
    for (int i = 0; i < 3; ++i) {
        cv::resize(*in[i], small_, small, 0, 0, cv::INTER_AREA);
        cv::GaussianBlur(small_, small_, cv::Size(0, 0), sigma / f);
        cv::resize(small_, *out[i], s_.size(), 0, 0, cv::INTER_LINEAR);
    }
    for (int y = 0; y < s_.rows; ++y) {
        auto* r = s_.ptr<cv::Vec3f>(y);
        const float* bs = blur_s_.ptr<float>(y);
        const float* bt = blur_t_.ptr<float>(y);
        const float* ba = blur_a_.ptr<float>(y);
        for (int x = 0; x < s_.cols; ++x)
            if (ba[x] > 1e-3f) r[x][0] += (bt[x] - bs[x]) / ba[x];
    }
}

void ColourMatcher::match(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float shading_sigma) {
    if (cv::countNonZero(area) < 16) return;  // too few pixels for statistics
    source.convertTo(s_, CV_32F, 1.0 / 255.0);
    target.convertTo(t_, CV_32F, 1.0 / 255.0);
    cv::cvtColor(s_, s_, cv::COLOR_RGB2Lab);
    cv::cvtColor(t_, t_, cv::COLOR_RGB2Lab);
    cv::Scalar ms, ss, mt, st;
    cv::meanStdDev(s_, ms, ss, area);
    cv::meanStdDev(t_, mt, st, area);
    cv::Vec3f gain, offset;
    for (int c = 0; c < 3; ++c) {
        // Bounded gain: a grey source (no chroma spread) must not have its noise amplified.
        const double g = std::clamp(st[c] / std::max(ss[c], 1e-3), 0.5, 2.0);
        gain[c] = static_cast<float>(g);
        offset[c] = static_cast<float>(mt[c] - g * ms[c]);
    }
    for (int y = 0; y < s_.rows; ++y) {
        auto* r = s_.ptr<cv::Vec3f>(y);
        for (int x = 0; x < s_.cols; ++x)
            for (int c = 0; c < 3; ++c) r[x][c] = r[x][c] * gain[c] + offset[c];
    }
    if (shading_sigma > 0.5f) add_shading(area, shading_sigma);
    cv::cvtColor(s_, s_, cv::COLOR_Lab2RGB);
    s_.convertTo(source, CV_8U, 255.0);
}

}  // namespace keyswap::face
