#include "keyswap/face/occlusion.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace keyswap::face {

namespace {
// How far from the skin model a pixel must be to count as an occluder, in robust spreads
// (1.4826 x median absolute deviation). Lightness varies more over a face (shading) than
// chroma, and only darker-than-skin is trusted: highlights on skin are bright too.
constexpr float kChromaSpreads = 4.0f;
constexpr float kDarkSpreads = 4.0f;
// Spread floors (8-bit levels): a very even face must not turn its own shading into occluders.
constexpr float kMinChroma = 3.0f, kMinLuma = 8.0f;
// Largest chroma offset (8-bit Cr/Cb from neutral) of a "grey" pixel.
constexpr int kGrey = 10;

cv::Point pt(const Mesh& m, int i) { return {static_cast<int>(std::lround(m[i].x)), static_cast<int>(std::lround(m[i].y))}; }
std::vector<cv::Point> poly(const Mesh& m, std::initializer_list<int> idx) {
    std::vector<cv::Point> p;
    for (int i : idx) p.push_back(pt(m, i));
    return p;
}

// Median and robust spread of one channel over the sampled pixels.
void robust(std::vector<std::uint8_t>& v, float& median, float& spread) {
    auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    median = *mid;
    std::vector<float> dev(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) dev[i] = std::abs(v[i] - median);
    auto dm = dev.begin() + static_cast<std::ptrdiff_t>(dev.size() / 2);
    std::nth_element(dev.begin(), dm, dev.end());
    spread = 1.4826f * *dm;
}
}  // namespace

void SkinOcclusion::estimate(const cv::Mat& target, const Mesh& m, const cv::Mat& area, bool forehead_only,
                             cv::Mat& occluded) {
    occluded.create(target.size(), CV_8U);
    occluded.setTo(0);
    const float iod = static_cast<float>(cv::norm((m[36] + m[39]) * 0.5f - (m[42] + m[45]) * 0.5f));
    if (iod < 8.0f) return;
    cv::cvtColor(target, ycc_, cv::COLOR_RGB2YCrCb);

    // Skin samples: both cheeks, the nose, the forehead just above the brows.
    samples_.create(target.size(), CV_8U);
    samples_.setTo(0);
    const std::vector<std::vector<cv::Point>> skin = {
        poly(m, {1, 3, 48, 31, 40, 36}), poly(m, {15, 13, 54, 35, 47, 45}), poly(m, {27, 31, 33, 35}),
        poly(m, {19, 24, kLandmarks + 7, kLandmarks + 2})};
    cv::fillPoly(samples_, skin, 255);
    cv::bitwise_and(samples_, area, samples_);
    std::vector<std::uint8_t> ch[3];
    for (int y = 0; y < target.rows; ++y) {
        const auto* s = samples_.ptr<std::uint8_t>(y);
        const auto* p = ycc_.ptr<cv::Vec3b>(y);
        for (int x = 0; x < target.cols; ++x)
            if (s[x])
                for (int c = 0; c < 3; ++c) ch[c].push_back(p[x][c]);
    }
    if (ch[0].size() < 32) return;
    float med[3], spr[3];
    for (int c = 0; c < 3; ++c) robust(ch[c], med[c], spr[c]);
    const float dark = std::max(spr[0], kMinLuma) * kDarkSpreads;
    const float cr = std::max(spr[1], kMinChroma) * kChromaSpreads, cb = std::max(spr[2], kMinChroma) * kChromaSpreads;

    // The face's own non-skin parts are never occluders: eyes, brows, lips, nostrils.
    features_.create(target.size(), CV_8U);
    features_.setTo(0);
    const int grow = std::max(1, static_cast<int>(0.04f * iod));
    // Lips are marked 128: there only a dark, grey pixel (a microphone's grille, a black
    // frame) is an occluder; lips, the inside of the mouth and teeth are red or bright.
    // Brows too: a black frame across a brow is darker and greyer than any brow hair but the
    // darkest. Eyes and nostrils (255) are never occluders: a pupil is as dark as a frame.
    cv::fillPoly(features_, std::vector<std::vector<cv::Point>>{poly(m, {48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59})}, 128);
    cv::polylines(features_, std::vector<std::vector<cv::Point>>{poly(m, {17, 18, 19, 20, 21}), poly(m, {22, 23, 24, 25, 26})},
                  false, 128, std::max(2, static_cast<int>(0.12f * iod)));
    cv::dilate(features_, features_, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * grow + 1, 2 * grow + 1}));
    cv::fillPoly(features_, std::vector<std::vector<cv::Point>>{poly(m, {36, 37, 38, 39, 40, 41}), poly(m, {42, 43, 44, 45, 46, 47}),
                                                                poly(m, {31, 32, 33, 34, 35, 30})},
                 255);

    // Where to judge: the whole area, or (hairline guard) only above the brows.
    if (forehead_only) {
        band_.create(target.size(), CV_8U);
        band_.setTo(0);
        std::vector<cv::Point> top = poly(m, {17, 18, 19, 20, 21, 22, 23, 24, 25, 26});
        for (int i = kForeheadPoints - 1; i >= 0; --i) top.push_back(pt(m, kLandmarks + i));
        cv::fillPoly(band_, std::vector<std::vector<cv::Point>>{top}, 255);
        cv::bitwise_and(band_, area, band_);
    }
    const cv::Mat& judge = forehead_only ? band_ : area;
    for (int y = 0; y < target.rows; ++y) {
        const auto* j = judge.ptr<std::uint8_t>(y);
        const auto* f = features_.ptr<std::uint8_t>(y);
        const auto* p = ycc_.ptr<cv::Vec3b>(y);
        auto* o = occluded.ptr<std::uint8_t>(y);
        for (int x = 0; x < target.cols; ++x) {
            if (!j[x] || f[x] == 255) continue;
            const bool off = f[x] ? med[0] - p[x][0] > 2.0f * dark && std::abs(p[x][1] - 128) < kGrey && std::abs(p[x][2] - 128) < kGrey
                                  : med[0] - p[x][0] > dark || std::abs(p[x][1] - med[1]) > cr || std::abs(p[x][2] - med[2]) > cb;
            o[x] = off ? 255 : 0;
        }
    }
    // Drop specks (pores, freckles, noise), then grow by the anti-aliased edge of the occluder.
    const int speck = std::max(1, static_cast<int>(0.015f * iod));
    cv::morphologyEx(occluded, occluded, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * speck + 1, 2 * speck + 1}));
    const int edge = std::max(1, static_cast<int>(0.02f * iod));
    cv::dilate(occluded, occluded, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * edge + 1, 2 * edge + 1}));
    cv::bitwise_and(occluded, area, occluded);
}

}  // namespace keyswap::face
