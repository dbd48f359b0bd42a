#include "keyswap/face/mouth_interior.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace keyswap::face {

namespace {
// Lab in OpenCV's 8-bit scale (L 0..255, a and b centred on 128). A pixel is tooth when it is
// this much lighter and less red than the lips, gap when this much darker; each threshold also
// grows with the lips' own spread (median absolute deviation), so glossy or stubbled lips with
// bright and dark spots of their own are not taken for teeth or gap.
constexpr float kToothLight = 18.0f, kToothPale = 6.0f, kGapDark = 32.0f;
constexpr float kLightSpread = 2.0f, kPaleSpread = 1.5f, kDarkSpread = 2.5f;

std::vector<cv::Point> polygon(const Mesh& mesh, int first, int last, cv::Point origin) {
    std::vector<cv::Point> p;
    for (int i = first; i <= last; ++i)
        p.emplace_back(static_cast<int>(std::lround(mesh[i].x)) - origin.x, static_cast<int>(std::lround(mesh[i].y)) - origin.y);
    return p;
}

// Median and median absolute deviation of the values.
std::pair<float, float> median_spread(std::vector<float>& v) {
    if (v.empty()) return {0.0f, 0.0f};
    auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    const float m = *mid;
    for (float& x : v) x = std::abs(x - m);
    std::nth_element(v.begin(), mid, v.end());
    return {m, *mid};
}
}  // namespace

cv::Mat mouth_interior(const cv::Mat& rgb, const Mesh& mesh) {
    CV_Assert(rgb.type() == CV_8UC3);
    cv::Mat out(rgb.size(), CV_8U, cv::Scalar(0));
    auto outer = polygon(mesh, 48, 59, {0, 0});
    const cv::Rect box = (cv::boundingRect(outer) + cv::Size(2, 2) - cv::Point(1, 1)) & cv::Rect(0, 0, rgb.cols, rgb.rows);
    if (box.width < 3 || box.height < 3) return out;
    for (auto& p : outer) p -= box.tl();
    const auto inner = polygon(mesh, 60, 67, box.tl());
    cv::Mat outer_mask(box.size(), CV_8U, cv::Scalar(0)), inner_mask(box.size(), CV_8U, cv::Scalar(0));
    cv::fillPoly(outer_mask, std::vector{outer}, cv::Scalar(255));
    cv::fillPoly(inner_mask, std::vector{inner}, cv::Scalar(255));
    cv::Mat lab;
    cv::cvtColor(rgb(box), lab, cv::COLOR_RGB2Lab);

    // The lips' colour: ring pixels nearer the outer lip line than the ring's median distance.
    cv::Mat dist;
    cv::distanceTransform(outer_mask, dist, cv::DIST_L2, cv::DIST_MASK_3);
    std::vector<float> ring_d;
    for (int y = 0; y < box.height; ++y)
        for (int x = 0; x < box.width; ++x)
            if (outer_mask.at<std::uint8_t>(y, x) && !inner_mask.at<std::uint8_t>(y, x)) ring_d.push_back(dist.at<float>(y, x));
    cv::Mat seeds = inner_mask & outer_mask;
    if (ring_d.size() < 16) {
        seeds.copyTo(out(box));
        return out;
    }
    const float near_outer = median_spread(ring_d).first;
    std::vector<float> ls, as;
    for (int y = 0; y < box.height; ++y)
        for (int x = 0; x < box.width; ++x)
            if (outer_mask.at<std::uint8_t>(y, x) && !inner_mask.at<std::uint8_t>(y, x) && dist.at<float>(y, x) <= near_outer) {
                const cv::Vec3b p = lab.at<cv::Vec3b>(y, x);
                ls.push_back(p[0]);
                as.push_back(p[1]);
            }
    const auto [lip_l, spread_l] = median_spread(ls);
    const auto [lip_a, spread_a] = median_spread(as);
    const float light = lip_l + std::max(kToothLight, kLightSpread * spread_l);
    const float pale = lip_a - std::max(kToothPale, kPaleSpread * spread_a);
    const float dark = lip_l - std::max(kGapDark, kDarkSpread * spread_l);

    // Candidates inside the outer lip line, kept where they connect to the inner-lip polygon.
    cv::Mat cand(box.size(), CV_8U, cv::Scalar(0));
    for (int y = 0; y < box.height; ++y) {
        const cv::Vec3b* p = lab.ptr<cv::Vec3b>(y);
        const std::uint8_t* o = outer_mask.ptr<std::uint8_t>(y);
        std::uint8_t* c = cand.ptr<std::uint8_t>(y);
        for (int x = 0; x < box.width; ++x) {
            const bool tooth = p[x][0] >= light && p[x][1] <= pale;
            const bool gap = p[x][0] <= dark;
            c[x] = o[x] && (tooth || gap) ? 255 : 0;
        }
    }
    cv::Mat grown = cand | seeds, labels;
    const int n = cv::connectedComponents(grown, labels, 8, CV_32S);
    std::vector<std::uint8_t> keep(static_cast<std::size_t>(n), 0);
    for (int y = 0; y < box.height; ++y)
        for (int x = 0; x < box.width; ++x)
            if (seeds.at<std::uint8_t>(y, x)) keep[static_cast<std::size_t>(labels.at<int>(y, x))] = 1;
    keep[0] = 0;
    for (int y = 0; y < box.height; ++y)
        for (int x = 0; x < box.width; ++x) grown.at<std::uint8_t>(y, x) = keep[static_cast<std::size_t>(labels.at<int>(y, x))] ? 255 : 0;
    // Glints and tooth gaps inside the region belong to it.
    cv::morphologyEx(grown, grown, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3}));
    cv::bitwise_and(grown, outer_mask, grown);
    cv::bitwise_or(grown, seeds, grown);
    grown.copyTo(out(box));
    return out;
}

}  // namespace keyswap::face
