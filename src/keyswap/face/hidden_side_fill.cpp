#include "keyswap/face/hidden_side_fill.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "keyswap/face/geometry.hpp"
#include "keyswap/face/head_pose.hpp"
#include "keyswap/face/occlusion.hpp"
#include "keyswap/face/warp.hpp"

namespace keyswap::face {
namespace {
// The light is levelled at this scale (eye distances): wide enough to reach across a lock from
// the clear skin around it, smooth enough to keep the mirror side's own features.
constexpr float kGainSigma = 0.3f;
// Where the clear pixels around a point weigh less than this, its gain leans to the face's
// overall one.
constexpr float kGainSupport = 0.1f;
// A hidden region smaller than this share of the face, or reaching less than kMinReach eye
// distances in from the outline, is left alone: a sliver of ear or background at the outline
// (which the swap's feathered edge covers anyway), not a lock of hair over the temple.
// Measured (docs/face-devset.md): a lock 0.068 / 0.30, an ear's strip 0.037 / 0.17.
constexpr float kMinHidden = 0.035f;
constexpr float kMinReach = 0.22f;
// Photos of heads turned further than this (degrees of yaw) are left as they are.
constexpr double kMaxYaw = 12.0;
// A side lit much darker or brighter is not a stand-in (the gain is clamped to this range).
constexpr float kGainMin = 0.5f, kGainMax = 2.0f;
// The pasted region's edge is feathered over this many eye distances.
constexpr float kFeather = 0.03f;
// The light is not measured this close to the hidden region (eye distances).
constexpr float kNearFill = 0.15f;
// The hidden region grows by up to this much (eye distances) over pixels whose Lab colour
// differs from the levelled mirror's by more than kDiffers (|dL| + |da| + |db|, 8-bit Lab).
constexpr float kGrow = 0.6f;
// The features (eyes and brows, nose, mouth) grown by this much (eye distances) are never grown into.
constexpr float kFeatureMargin = 0.06f;
constexpr int kDiffers = 24;
// The ring around the grown region the patch is matched to (eye distances), the scale of that
// match, and its range.
constexpr float kRing = 0.1f, kRingSigma = 0.15f;
constexpr float kRingMin = 0.7f, kRingMax = 1.4f;
// A disc-shaped structuring element of the given radius in pixels.
cv::Mat disc(float radius) {
    const int d = 2 * static_cast<int>(radius) + 1;
    return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(d, d));
}

// Scales `image` (CV_8UC3, in place) by a smooth per-channel gain that brings it to `target`
// (CV_8UC3) over the pixels of `where` (CV_8U): both blurred at `sigma` over those pixels
// (normalised convolution, so the gain reaches into the gaps between them), the ratio clamped to
// lo..hi; where the pixels around are thin it leans to `fallback`.
void level_to(cv::Mat& image, const cv::Mat& target, const cv::Mat& where, double sigma, float lo, float hi,
              const cv::Vec3f& fallback) {
    cv::Mat w, w3, num, den;
    where.convertTo(w, CV_32F, 1.0 / 255.0);
    cv::merge(std::vector<cv::Mat>{w, w, w}, w3);
    target.convertTo(num, CV_32FC3);
    image.convertTo(den, CV_32FC3);
    num = num.mul(w3);
    den = den.mul(w3);
    cv::GaussianBlur(num, num, cv::Size(), sigma);
    cv::GaussianBlur(den, den, cv::Size(), sigma);
    cv::GaussianBlur(w, w, cv::Size(), sigma);
    for (int y = 0; y < image.rows; ++y) {
        const cv::Vec3f* nu = num.ptr<cv::Vec3f>(y);
        const cv::Vec3f* de = den.ptr<cv::Vec3f>(y);
        const float* su = w.ptr<float>(y);
        cv::Vec3b* out = image.ptr<cv::Vec3b>(y);
        for (int x = 0; x < image.cols; ++x) {
            const float t = std::min(1.0f, su[x] / kGainSupport);
            for (int c = 0; c < 3; ++c) {
                const float local = de[x][c] > 1e-3f ? std::clamp(nu[x][c] / de[x][c], lo, hi) : fallback[c];
                out[x][c] = cv::saturate_cast<std::uint8_t>((t * local + (1.0f - t) * fallback[c]) * static_cast<float>(out[x][c]));
            }
        }
    }
}
}  // namespace

float fill_hidden_side(cv::Mat& rgb, cv::Mat& usable, const Landmarks& landmarks, const Mesh& mesh,
                       const std::vector<cv::Vec3i>& tris) {
    // A turned head's two sides are not each other's mirror image in the photo (the far side is
    // foreshortened, and usually lit differently); the per-frame symmetry fill handles those.
    if (std::abs(estimate_pose(landmarks).yaw) > kMaxYaw) return 0.0f;
    const cv::Mat hull = mesh_hull(mesh, rgb.size());
    cv::Mat hidden;
    cv::bitwise_and(hull, usable == 0, hidden);
    const int hull_area = cv::countNonZero(hull);
    if (hull_area == 0 || cv::countNonZero(hidden) == 0) return 0.0f;

    // The photo's mirror image carried onto its own mesh: at each pixel, the same point of the
    // face's other side.
    const auto mirrors = mirror_through_mesh({rgb, usable}, landmarks, mesh, tris);
    const cv::Mat& mirror = mirrors[0];
    const cv::Mat& mirror_usable = mirrors[1];
    const cv::Mat partner_clear = mirror_usable >= 200;

    // Hidden regions most of whose partners are clear: one-sided hiding.
    cv::Mat labels;
    const int n = cv::connectedComponents(hidden, labels, 8, CV_32S);
    // How far each region reaches in from the face's outline (distance to the hull's edge).
    cv::Mat depth;
    cv::distanceTransform(hull, depth, cv::DIST_L2, 3);
    std::vector<int> total(static_cast<std::size_t>(n), 0), clear(static_cast<std::size_t>(n), 0);
    std::vector<float> reach(static_cast<std::size_t>(n), 0.0f);
    for (int y = 0; y < labels.rows; ++y) {
        const int* l = labels.ptr<int>(y);
        const std::uint8_t* c = partner_clear.ptr<std::uint8_t>(y);
        const float* d = depth.ptr<float>(y);
        for (int x = 0; x < labels.cols; ++x) {
            if (l[x] == 0) continue;
            const auto k = static_cast<std::size_t>(l[x]);
            ++total[k];
            clear[k] += c[x] != 0;
            reach[k] = std::max(reach[k], d[x]);
        }
    }
    const float iod = inter_ocular(landmarks);
    cv::Mat fill = cv::Mat::zeros(rgb.size(), CV_8U);
    for (int y = 0; y < labels.rows; ++y) {
        const int* l = labels.ptr<int>(y);
        const std::uint8_t* c = partner_clear.ptr<std::uint8_t>(y);
        std::uint8_t* f = fill.ptr<std::uint8_t>(y);
        for (int x = 0; x < labels.cols; ++x) {
            const auto k = static_cast<std::size_t>(l[x]);
            if (l[x] != 0 && c[x] && static_cast<float>(clear[k]) >= kOneSided * static_cast<float>(total[k]) &&
                static_cast<float>(total[k]) >= kMinHidden * static_cast<float>(hull_area) && reach[k] >= kMinReach * iod)
                f[x] = 255;
        }
    }
    if (cv::countNonZero(fill) == 0) return 0.0f;

    // Light levelled per channel: gain = (this side) / (mirror side), both blurred over the
    // pixels clear on both sides (normalised convolution), which reaches into the hidden region
    // from its clear surroundings. Pixels next to the hidden region are left out of the
    // measurement: the hair's shadow and its missed strands lie there.
    cv::Mat near_fill;
    cv::dilate(fill, near_fill, disc(kNearFill * iod));
    cv::Mat both;
    cv::bitwise_and(hull, usable, both);
    cv::bitwise_and(both, partner_clear, both);
    both.setTo(0, near_fill);
    const cv::Scalar own_mean = cv::mean(rgb, both), mirror_mean = cv::mean(mirror, both);
    cv::Vec3f global_gain;
    for (int c = 0; c < 3; ++c)
        global_gain[c] = std::clamp(static_cast<float>(own_mean[c] / std::max(1.0, mirror_mean[c])), kGainMin, kGainMax);
    cv::Mat levelled = mirror.clone();
    level_to(levelled, rgb, both, std::max(1.0, static_cast<double>(kGainSigma * iod)), kGainMin, kGainMax, global_gain);

    // The hidden region grown over what beside it differs from its levelled mirror: the strands
    // at a lock's edge the hair estimate missed, the shadow the lock casts on the skin, and the
    // lock below the nose, where the hair estimate does not look.
    cv::Mat own_lab, mirror_lab, differs;
    cv::cvtColor(rgb, own_lab, cv::COLOR_RGB2Lab);
    cv::cvtColor(levelled, mirror_lab, cv::COLOR_RGB2Lab);
    cv::Mat diff;
    cv::absdiff(own_lab, mirror_lab, diff);
    std::vector<cv::Mat> dl;
    cv::split(diff, dl);
    differs = (dl[0] + dl[1] + dl[2]) > kDiffers;
    cv::bitwise_and(differs, hull, differs);
    cv::bitwise_and(differs, partner_clear, differs);
    // Not into the features: a wink, a smirk or a raised brow is asymmetric by nature.
    cv::Mat features = cv::Mat::zeros(rgb.size(), CV_8U);
    auto feature = [&](int first, int last, int first2 = -1, int last2 = -1) {
        std::vector<cv::Point> pts, hull_pts;
        for (int i = first; i <= last; ++i) pts.emplace_back(mesh[static_cast<std::size_t>(i)]);
        for (int i = first2; first2 >= 0 && i <= last2; ++i) pts.emplace_back(mesh[static_cast<std::size_t>(i)]);
        cv::convexHull(pts, hull_pts);
        cv::fillConvexPoly(features, hull_pts, 255);
    };
    feature(17, 21, 36, 41);  // brow and eye, each side
    feature(22, 26, 42, 47);
    feature(27, 35);          // nose
    feature(48, 59);          // mouth
    cv::dilate(features, features, disc(kFeatureMargin * iod));
    differs.setTo(0, features);
    const cv::Mat cross = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3));
    const int steps = std::max(1, static_cast<int>(kGrow * iod));
    for (int i = 0; i < steps; ++i) {
        cv::Mat grown;
        cv::dilate(fill, grown, cross);
        cv::bitwise_and(grown, differs, grown);
        cv::bitwise_or(fill, grown, grown);
        if (cv::countNonZero(grown != fill) == 0) break;
        fill = grown;
    }
    const int filled = cv::countNonZero(fill);

    // Then matched to the skin right around it (a ring outside the grown region), so the patch
    // continues its surroundings: the hidden side is often shaded by the hair that hides it.
    cv::Mat ring;
    cv::dilate(fill, ring, disc(kRing * iod));
    ring.setTo(0, fill);
    cv::bitwise_and(ring, hull, ring);
    cv::bitwise_and(ring, usable, ring);
    cv::bitwise_and(ring, partner_clear, ring);
    level_to(levelled, rgb, ring, std::max(1.0, static_cast<double>(kRingSigma * iod)), kRingMin, kRingMax, {1.0f, 1.0f, 1.0f});

    cv::Mat whole, alpha;
    fill.convertTo(whole, CV_32F, 1.0 / 255.0);
    cv::GaussianBlur(whole, alpha, cv::Size(), std::max(0.5, static_cast<double>(kFeather * iod)));
    cv::max(alpha, whole, alpha);  // the fill itself whole, only its surroundings feathered
    for (int y = 0; y < rgb.rows; ++y) {
        cv::Vec3b* p = rgb.ptr<cv::Vec3b>(y);
        const cv::Vec3b* l = levelled.ptr<cv::Vec3b>(y);
        const float* a = alpha.ptr<float>(y);
        const std::uint8_t* h = hull.ptr<std::uint8_t>(y);
        const std::uint8_t* pc = partner_clear.ptr<std::uint8_t>(y);
        for (int x = 0; x < rgb.cols; ++x) {
            if (a[x] <= 0.0f || !h[x] || !pc[x]) continue;
            for (int c = 0; c < 3; ++c)
                p[x][c] = cv::saturate_cast<std::uint8_t>(static_cast<float>(p[x][c]) +
                                                          a[x] * (static_cast<float>(l[x][c]) - static_cast<float>(p[x][c])));
        }
    }
    usable.setTo(255, fill);
    return static_cast<float>(filled) / static_cast<float>(hull_area);
}

}  // namespace keyswap::face
