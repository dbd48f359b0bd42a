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
// A source photo's hair at the rim (HairRim) is darker than this share of the cheeks' lightness
// when it is found by darkness alone: a temple or a face's side in shade stays above it (a side
// light, the face turning away from the light), dark hair falls well below. Hair about as light
// as the skin is found by its colour.
constexpr float kHairDarkness = 0.65f;
// Pieces of rim hair found with gaps between them (strands of skin colour, a lock's highlights)
// are joined across gaps up to this many eye distances.
constexpr float kRimHairGap = 0.25f;
// How close to the face's outline (eye distances, plus two pixels) an occluder or a piece of hair
// must come: both reach over a face from outside it.
constexpr float kOutlineReach = 0.06f;

bool is_grey(const cv::Vec3b& ycc) { return std::abs(ycc[1] - 128) < kGrey && std::abs(ycc[2] - 128) < kGrey; }

// Eye distance of a mesh (its eyes' centres) and the face's up direction (chin to nose bridge).
float mesh_iod(const Mesh& m) { return static_cast<float>(cv::norm((m[36] + m[39]) * 0.5f - (m[42] + m[45]) * 0.5f)); }
cv::Point2f face_up(const Mesh& m) {
    return (m[27] - m[8]) * (1.0f / std::max(1e-3f, static_cast<float>(cv::norm(m[27] - m[8]))));
}

cv::Point pt(const Mesh& m, int i) { return {static_cast<int>(std::lround(m[i].x)), static_cast<int>(std::lround(m[i].y))}; }
std::vector<cv::Point> poly(const Mesh& m, std::initializer_list<int> idx) {
    std::vector<cv::Point> p;
    for (int i : idx) p.push_back(pt(m, i));
    return p;
}

// Clears the pixels of `mask` whose component (`labels`, CV_32S) is not marked in `keep`.
void clear_unkept(cv::Mat& mask, const cv::Mat& labels, const std::vector<std::uint8_t>& keep) {
    for (int y = 0; y < mask.rows; ++y) {
        auto* m = mask.ptr<std::uint8_t>(y);
        const int* lb = labels.ptr<int>(y);
        for (int x = 0; x < mask.cols; ++x)
            if (!keep[static_cast<std::size_t>(lb[x])]) m[x] = 0;
    }
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

void SkinOcclusion::estimate(const cv::Mat& target, const Mesh& m, const cv::Mat& area, OcclusionRegion region,
                             cv::Mat& occluded) {
    occluded.create(target.size(), CV_8U);
    occluded.setTo(0);
    const float iod = mesh_iod(m);
    if (iod < 8.0f) return;
    cv::cvtColor(target, ycc_, cv::COLOR_RGB2YCrCb);

    // Skin samples: both cheeks and the nose. Not the forehead: a fringe covers it as often as
    // not, and hair in the samples would make the hair count as skin.
    samples_.create(target.size(), CV_8U);
    samples_.setTo(0);
    // The cheeks' cores only (shrunk toward their middles): their edges run into the shading
    // at the face's side, an ear or hair, which would widen the model until hair is skin.
    std::vector<std::vector<cv::Point>> skin = {
        poly(m, {1, 3, 48, 31, 40, 36}), poly(m, {15, 13, 54, 35, 47, 45}), poly(m, {27, 31, 33, 35})};
    for (int k = 0; k < 2; ++k) {
        cv::Point2f c(0, 0);
        for (const auto& q : skin[k]) c += cv::Point2f(q);
        c *= 1.0f / static_cast<float>(skin[k].size());
        for (auto& q : skin[k]) q = cv::Point(c + 0.6f * (cv::Point2f(q) - c));
    }
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

    // Lip colour (the ring between the outer and inner lip lines) and brow lightness: in the
    // lips an occluder is neither skin- nor lip-coloured, in the brows darker than the brows.
    samples_.setTo(0);
    cv::fillPoly(samples_, std::vector<std::vector<cv::Point>>{poly(m, {48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59})}, 255);
    cv::fillPoly(samples_, std::vector<std::vector<cv::Point>>{poly(m, {60, 61, 62, 63, 64, 65, 66, 67})}, 0);
    cv::polylines(samples_, std::vector<std::vector<cv::Point>>{poly(m, {17, 18, 19, 20, 21}), poly(m, {22, 23, 24, 25, 26})}, false,
                  128, std::max(1, static_cast<int>(0.05f * iod)));
    std::vector<std::uint8_t> lip[2], brow;
    for (int y = 0; y < target.rows; ++y) {
        const auto* sm = samples_.ptr<std::uint8_t>(y);
        const auto* p = ycc_.ptr<cv::Vec3b>(y);
        for (int x = 0; x < target.cols; ++x) {
            if (sm[x] == 255) lip[0].push_back(p[x][1]), lip[1].push_back(p[x][2]);
            if (sm[x] == 128) brow.push_back(p[x][0]);
        }
    }
    float lip_med[2] = {med[1], med[2]}, lip_spr[2] = {spr[1], spr[2]}, brow_med = med[0], brow_spr = spr[0];
    if (lip[0].size() >= 16)
        for (int c = 0; c < 2; ++c) robust(lip[c], lip_med[c], lip_spr[c]);
    if (brow.size() >= 16) robust(brow, brow_med, brow_spr);
    const float lip_cr = std::max(lip_spr[0], kMinChroma) * kChromaSpreads, lip_cb = std::max(lip_spr[1], kMinChroma) * kChromaSpreads;
    // A frame across a brow: darker than nearly all of the brow and than the skin by far.
    const float brow_dark = std::min(brow_med - 2.5f * std::max(brow_spr, kMinLuma), med[0] - 2.0f * dark);

    // The face's own non-skin parts are never occluders: eyes, brows, lips, nostrils.
    features_.create(target.size(), CV_8U);
    features_.setTo(0);
    const int grow = std::max(1, static_cast<int>(0.04f * iod));
    // Lips are marked 128: there an occluder is a dark grey pixel (a frame, a grille) or one
    // neither skin- nor lip-coloured and not brighter than the skin (a microphone; teeth are
    // bright, the inside of the mouth is lip-red). Brows are marked 64: a frame across a brow
    // is darker than the brow hair. Eyes and nostrils (255) are never occluders here: a pupil
    // is as dark as a frame (see the reach into the eyes below).
    cv::fillPoly(features_, std::vector<std::vector<cv::Point>>{poly(m, {48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59})}, 128);
    cv::polylines(features_, std::vector<std::vector<cv::Point>>{poly(m, {17, 18, 19, 20, 21}), poly(m, {22, 23, 24, 25, 26})},
                  false, 64, std::max(2, static_cast<int>(0.12f * iod)));
    cv::dilate(features_, features_, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * grow + 1, 2 * grow + 1}));
    cv::fillPoly(features_, std::vector<std::vector<cv::Point>>{poly(m, {36, 37, 38, 39, 40, 41}), poly(m, {42, 43, 44, 45, 46, 47}),
                                                                poly(m, {31, 32, 33, 34, 35, 30})},
                 255);

    // Where to judge: the whole area, the forehead above the brows, or that and the outer rim
    // above the nose.
    if (region != OcclusionRegion::Face) {
        band_.create(target.size(), CV_8U);
        band_.setTo(0);
        std::vector<cv::Point> top = poly(m, {17, 18, 19, 20, 21, 22, 23, 24, 25, 26});
        for (int i = kForeheadPoints - 1; i >= 0; --i) top.push_back(pt(m, kLandmarks + i));
        cv::fillPoly(band_, std::vector<std::vector<cv::Point>>{top}, 255);
        if (region == OcclusionRegion::HairRim) {
            // The rim: the area less its core (eroded by 0.3 eye distances), above the nose's base.
            const int r = std::max(1, static_cast<int>(0.3f * iod));
            cv::erode(area, grown_, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * r + 1, 2 * r + 1}));
            const cv::Point2f up = face_up(m);
            for (int y = 0; y < target.rows; ++y) {
                auto* b = band_.ptr<std::uint8_t>(y);
                const auto* core = grown_.ptr<std::uint8_t>(y);
                for (int x = 0; x < target.cols; ++x) {
                    const cv::Point2f d = cv::Point2f(static_cast<float>(x), static_cast<float>(y)) - m[33];
                    if (!core[x] && d.dot(up) > 0) b[x] = 255;
                }
            }
        }
        cv::bitwise_and(band_, area, band_);
    }
    const cv::Mat& judge = region == OcclusionRegion::Face ? area : band_;
    for (int y = 0; y < target.rows; ++y) {
        const auto* j = judge.ptr<std::uint8_t>(y);
        const auto* f = features_.ptr<std::uint8_t>(y);
        const auto* p = ycc_.ptr<cv::Vec3b>(y);
        auto* o = occluded.ptr<std::uint8_t>(y);
        for (int x = 0; x < target.cols; ++x) {
            if (!j[x] || f[x] == 255) continue;
            // Brighter than the skin, its chroma is expected to fade toward neutral as a
            // highlight mixes the skin with white: a shine on a forehead is skin, not hair.
            const float yy = p[x][0], white = std::clamp((yy - med[0]) / std::max(1.0f, 255.0f - med[0]), 0.0f, 1.0f);
            const float dcr = std::abs(p[x][1] - (med[1] + (128.0f - med[1]) * white));
            const float dcb = std::abs(p[x][2] - (med[2] + (128.0f - med[2]) * white));
            const bool grey = is_grey(p[x]);
            const bool skin_chroma = dcr <= cr && dcb <= cb;
            bool off;
            if (f[x] == 128) {
                const bool lip_chroma = std::abs(p[x][1] - lip_med[0]) <= lip_cr && std::abs(p[x][2] - lip_med[1]) <= lip_cb;
                off = (med[0] - yy > 2.0f * dark && grey) || (!skin_chroma && !lip_chroma && yy < med[0]);
            } else if (f[x] == 64) {
                // Darker than the brow hair: a frame. A frame as dark as the brows is found
                // below, by being joined to a frame outside the brows.
                off = yy < brow_dark && grey;
                // Candidates: grey and darker than the skin by far, or (on a face whose shading
                // makes "by far" out of reach) grey, off the skin's colour and darker than most
                // of the brow.
                const bool candidate = grey && (med[0] - yy > dark || (!skin_chroma && yy < brow_med - std::max(brow_spr, kMinLuma)));
                if (off) o[x] = 255;
                else if (candidate) o[x] = 1;
                continue;
            } else {
                const bool darker = med[0] - yy > dark && (region != OcclusionRegion::HairRim || yy < kHairDarkness * med[0]);
                off = darker || !skin_chroma;
            }
            o[x] = off ? 255 : 0;
        }
    }
    // Dark grey brow pixels joined to an occluder outside the brows are that occluder (a rim
    // running along a brow), not the brow.
    if (cv::countNonZero(occluded == 1) > 0) {
        cv::Mat labels;
        cv::compare(occluded, 0, grown_, cv::CMP_GT);
        const int n = cv::connectedComponents(grown_, labels, 8, CV_32S);
        std::vector<std::uint8_t> keep(static_cast<std::size_t>(n), 0);
        for (int y = 0; y < target.rows; ++y) {
            const auto* o = occluded.ptr<std::uint8_t>(y);
            const int* lb = labels.ptr<int>(y);
            for (int x = 0; x < target.cols; ++x)
                if (o[x] == 255) keep[static_cast<std::size_t>(lb[x])] = 1;
        }
        for (int y = 0; y < target.rows; ++y) {
            auto* o = occluded.ptr<std::uint8_t>(y);
            const int* lb = labels.ptr<int>(y);
            for (int x = 0; x < target.cols; ++x)
                if (o[x] == 1) o[x] = keep[static_cast<std::size_t>(lb[x])] ? 255 : 0;
        }
    }
    // Something in front of a face comes from outside it: a frame's temples run to the ears, a
    // hand, a microphone or a fringe cross the face's outline. A dark crease, a smile line, a
    // mole or a shaded lid inside the face is the target's own face, which the swap replaces;
    // a thin shadow along the jaw is its shading. So over the whole face an occluder is a
    // joined region that touches the face's outline and reaches well inside it.
    if (region == OcclusionRegion::Face) keep_entering_from_outside(occluded, area, iod);
    // A frame's rim that runs on into an eye's corner: follow the occluder a short way into the
    // eye through pixels of the occluder's own colour (dark and grey like it), so a rim is kept
    // whole but the pupil, never reached from outside, stays the swap's.
    if (region == OcclusionRegion::Face) {
        const int reach = std::max(1, static_cast<int>(0.06f * iod));
        cv::dilate(occluded, grown_, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * reach + 1, 2 * reach + 1}));
        for (int y = 0; y < target.rows; ++y) {
            const auto* f = features_.ptr<std::uint8_t>(y);
            const auto* g = grown_.ptr<std::uint8_t>(y);
            const auto* p = ycc_.ptr<cv::Vec3b>(y);
            auto* o = occluded.ptr<std::uint8_t>(y);
            for (int x = 0; x < target.cols; ++x)
                if (f[x] == 255 && g[x] && med[0] - p[x][0] > 2.0f * dark && is_grey(p[x]))
                    o[x] = 255;
        }
    }
    // Drop specks (pores, freckles, noise), then grow by the anti-aliased edge of the occluder.
    const int speck = std::max(1, static_cast<int>(0.015f * iod));
    cv::morphologyEx(occluded, occluded, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * speck + 1, 2 * speck + 1}));
    if (region == OcclusionRegion::Forehead) hang_from_above(occluded, iod);
    if (region == OcclusionRegion::HairRim) join_rim_hair(occluded, area, iod);
    const int edge = std::max(1, static_cast<int>(0.02f * iod));
    cv::dilate(occluded, occluded, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * edge + 1, 2 * edge + 1}));
    cv::bitwise_and(occluded, area, occluded);
}

void SkinOcclusion::measure_depth(const cv::Mat& area) {
    // Padded by a pixel of "outside", so a face cut by the frame's edge has its outline there.
    // Not in band_: the rim's hair is still cut to the band after its outline test.
    cv::Mat padded;
    cv::copyMakeBorder(area, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
    cv::distanceTransform(padded, depth_, cv::DIST_L2, 3);
}

void SkinOcclusion::keep_entering_from_outside(cv::Mat& occluded, const cv::Mat& area, float iod) {
    // Joined means: across a gap of a pixel or two (a frame's anti-aliased or shaded stretch),
    // and through the eyes, which are never occluders themselves (a pupil is as dark as a
    // frame) but which a frame's rim crosses at the corners on its way to the temples.
    cv::compare(occluded, 0, grown_, cv::CMP_GT);
    const int gap = std::max(1, static_cast<int>(0.03f * iod));
    cv::dilate(grown_, grown_, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * gap + 1, 2 * gap + 1}));
    cv::bitwise_or(grown_, features_ == 255, grown_);
    cv::Mat labels;
    const int n = cv::connectedComponents(grown_, labels, 8, CV_32S);
    if (n <= 1) return;
    // Depth of each face pixel below the outline (the area's edge; the frame's edge counts too,
    // where a face is cut by it).
    measure_depth(area);
    const float outline = kOutlineReach * iod + 2.0f, inside = 0.25f * iod;
    std::vector<float> shallowest(static_cast<std::size_t>(n), 1e9f), deepest(static_cast<std::size_t>(n), 0.0f);
    std::vector<int> pixels(static_cast<std::size_t>(n), 0), grey(static_cast<std::size_t>(n), 0);
    for (int y = 0; y < occluded.rows; ++y) {
        const int* lb = labels.ptr<int>(y);
        const float* d = depth_.ptr<float>(y + 1) + 1;
        const auto* o = occluded.ptr<std::uint8_t>(y);
        const auto* p = ycc_.ptr<cv::Vec3b>(y);
        for (int x = 0; x < occluded.cols; ++x) {
            if (!o[x]) continue;
            const auto k = static_cast<std::size_t>(lb[x]);
            shallowest[k] = std::min(shallowest[k], d[x]);
            deepest[k] = std::max(deepest[k], d[x]);
            ++pixels[k];
            grey[k] += is_grey(p[x]);
        }
    }
    std::vector<std::uint8_t> keep(static_cast<std::size_t>(n), 0);
    // A short stretch of a frame's temple between a lens and the ear does not reach far in, but
    // it is grey (a frame, a cable, a dark sleeve), where shading and skin creases keep the
    // skin's colour.
    for (std::size_t k = 1; k < keep.size(); ++k)
        keep[k] = shallowest[k] <= outline && (deepest[k] >= inside || 2 * grey[k] >= pixels[k]);
    clear_unkept(occluded, labels, keep);
}

void SkinOcclusion::drop_small_blobs(cv::Mat& hair, float iod) {
    // Blobs too small to be a lock of hair: a mole, a wrinkle's shadow.
    cv::Mat labels, stats, centroids;
    cv::connectedComponentsWithStats(hair, labels, stats, centroids, 8, CV_32S);
    const int min_area = std::max(4, static_cast<int>(0.004f * iod * iod));
    for (int y = 0; y < hair.rows; ++y) {
        auto* h = hair.ptr<std::uint8_t>(y);
        const int* lb = labels.ptr<int>(y);
        for (int x = 0; x < hair.cols; ++x)
            if (h[x] && stats.at<int>(lb[x], cv::CC_STAT_AREA) < min_area) h[x] = 0;
    }
}

void SkinOcclusion::join_rim_hair(cv::Mat& hair, const cv::Mat& area, float iod) {
    // A source photo's rim. Hanging every column from the band's top (as over a forehead) would
    // turn one shaded pixel at a temple into a bar the rim's width from the hairline down: the
    // target's own temple, left in the swap, shows as a rectangle on a turned head. Here pieces
    // are joined only across short gaps, and a piece is hair only where it reaches the face's
    // outline: a furrow or a shaded hollow inside the face is the source's own skin.
    drop_small_blobs(hair, iod);
    const int gap = std::max(1, static_cast<int>(kRimHairGap * iod));
    std::vector<int> last(static_cast<std::size_t>(hair.cols), -1);
    for (int y = 0; y < hair.rows; ++y) {
        const auto* h = hair.ptr<std::uint8_t>(y);
        const auto* b = band_.ptr<std::uint8_t>(y);
        for (int x = 0; x < hair.cols; ++x) {
            if (!h[x] || !b[x]) continue;
            int& l = last[static_cast<std::size_t>(x)];
            if (l >= 0 && y - l <= gap)
                for (int k = l + 1; k < y; ++k) hair.at<std::uint8_t>(k, x) = 255;
            l = y;
        }
    }
    cv::morphologyEx(hair, hair, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, {gap | 1, gap | 1}));
    keep_reaching_outline(hair, area, iod);
    // The lower edge thins into single hairs over skin, lighter than the rest: reach a little
    // below (in the image's columns, as the band's hair hangs).
    const int soft = std::max(1, static_cast<int>(0.08f * iod));
    cv::dilate(hair, grown_, cv::getStructuringElement(cv::MORPH_RECT, {1, soft + 1}), cv::Point(0, soft));
    cv::bitwise_and(grown_, band_, grown_);
    cv::bitwise_or(hair, grown_, hair);
}

// Hair reaches over a face from outside it: a piece of the mask that comes no nearer the
// face's outline than kOutlineReach is the face's own shade.
void SkinOcclusion::keep_reaching_outline(cv::Mat& hair, const cv::Mat& area, float iod) {
    cv::Mat labels;
    const int n = cv::connectedComponents(hair, labels, 8, CV_32S);
    measure_depth(area);
    const float outline = kOutlineReach * iod + 2.0f;
    std::vector<std::uint8_t> keep(static_cast<std::size_t>(n), 0);
    for (int y = 0; y < hair.rows; ++y) {
        const int* lb = labels.ptr<int>(y);
        const float* d = depth_.ptr<float>(y + 1) + 1;
        const auto* h = hair.ptr<std::uint8_t>(y);
        for (int x = 0; x < hair.cols; ++x)
            if (h[x] && d[x] <= outline) keep[static_cast<std::size_t>(lb[x])] = 1;
    }
    clear_unkept(hair, labels, keep);
}

void SkinOcclusion::hang_from_above(cv::Mat& hair, float iod) {
    // Hair over a forehead hangs from above: a fringe found in patches (strands of skin colour
    // between darker ones) is whole from the band's top down to its lowest found pixel in each
    // column, so the swap's edge under a fringe is one line, not a patchwork.
    drop_small_blobs(hair, iod);
    std::vector<int> lowest(static_cast<std::size_t>(hair.cols), -1);
    for (int y = 0; y < hair.rows; ++y) {
        const auto* h = hair.ptr<std::uint8_t>(y);
        const auto* b = band_.ptr<std::uint8_t>(y);
        for (int x = 0; x < hair.cols; ++x)
            if (h[x] && b[x]) lowest[static_cast<std::size_t>(x)] = y;
    }
    // A fringe of skin-coloured hair is found in locks with gaps between them: a column with
    // hair found on both sides (within 0.2 eye distances) hangs as low as the higher side.
    const int w = std::max(1, static_cast<int>(0.2f * iod));
    std::vector<int> closed(lowest);
    for (int x = 0; x < hair.cols; ++x) {
        int left = -1, right = -1;
        for (int k = std::max(0, x - w); k <= x; ++k) left = std::max(left, lowest[static_cast<std::size_t>(k)]);
        for (int k = x; k <= std::min(hair.cols - 1, x + w); ++k) right = std::max(right, lowest[static_cast<std::size_t>(k)]);
        closed[static_cast<std::size_t>(x)] = std::max(lowest[static_cast<std::size_t>(x)], std::min(left, right));
    }
    lowest.swap(closed);
    // A fringe's lower edge thins into single hairs over skin, lighter than the fringe: reach a
    // little below the lowest pixel found.
    const int soft = std::max(1, static_cast<int>(0.08f * iod));
    for (int y = 0; y < hair.rows; ++y) {
        auto* h = hair.ptr<std::uint8_t>(y);
        const auto* b = band_.ptr<std::uint8_t>(y);
        for (int x = 0; x < hair.cols; ++x) {
            const int low = lowest[static_cast<std::size_t>(x)];
            if (b[x] && low >= 0 && y <= low + soft) h[x] = 255;
        }
    }
}

namespace {
// The face's own axes in the image: across (left eye to right eye) and up (chin to nose top).
struct FaceAxes {
    cv::Point2f across, up;
    explicit FaceAxes(const Mesh& m) {
        across = (m[42] + m[45]) * 0.5f - (m[36] + m[39]) * 0.5f;
        across *= 1.0f / std::max(1e-3f, static_cast<float>(cv::norm(across)));
        up = {across.y, -across.x};
        if (up.dot(m[27] - m[8]) < 0) up = -up;
    }
};
}  // namespace

float bridge_cover(const cv::Mat& occluded, const Mesh& m) {
    const FaceAxes ax(m);
    const cv::Point2f c = (m[39] + m[42]) * 0.5f;
    const float inner = static_cast<float>(cv::norm(m[42] - m[39]));
    const float iod = mesh_iod(m);
    // The middle 60% of the gap between the inner eye corners (the lenses' rims pass near the
    // corners), from 0.1 eye distances below the eye line to 0.35 above it.
    const int half = static_cast<int>(0.3f * inner), below = static_cast<int>(0.1f * iod), above = static_cast<int>(0.35f * iod);
    if (half < 1 || above < 1) return 0.0f;
    int crossed = 0;
    for (int u = -half; u <= half; ++u) {
        bool hit = false;
        for (int v = -below; v <= above && !hit; ++v) {
            const cv::Point2f p = c + ax.across * static_cast<float>(u) + ax.up * static_cast<float>(v);
            const int x = static_cast<int>(std::lround(p.x)), y = static_cast<int>(std::lround(p.y));
            hit = x >= 0 && y >= 0 && x < occluded.cols && y < occluded.rows && occluded.at<std::uint8_t>(y, x);
        }
        crossed += hit;
    }
    return static_cast<float>(crossed) / static_cast<float>(2 * half + 1);
}

void keep_above_nose(cv::Mat& occluded, const Mesh& m) {
    const FaceAxes ax(m);
    const cv::Point2f base = m[33];
    for (int y = 0; y < occluded.rows; ++y) {
        auto* o = occluded.ptr<std::uint8_t>(y);
        for (int x = 0; x < occluded.cols; ++x)
            if ((cv::Point2f(static_cast<float>(x), static_cast<float>(y)) - base).dot(ax.up) < 0) o[x] = 0;
    }
}

cv::Mat mesh_hull(const Mesh& mesh, cv::Size size) {
    cv::Mat area = cv::Mat::zeros(size, CV_8U);
    std::vector<cv::Point> pts, hull;
    for (const auto& p : mesh) pts.emplace_back(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y)));
    cv::convexHull(pts, hull);
    cv::fillConvexPoly(area, hull, 255);
    return area;
}

namespace {
// Under a fringe that ends just above the brows, the strip of forehead left between them is in
// the fringe's shadow and ragged with its tips: swapped, it shows as a dark band across the
// target's forehead, with the target's own forehead (left to it above the fringe) on one side.
// Where a column's hair ends within kThinStrip eye distances of the brows, the hair is carried
// down to just above the brows, so the target's forehead meets the source's brows, whose edge
// hides the seam.
void close_thin_strip(const Mesh& m, const cv::Mat& area, cv::Mat& hair) {
    const float iod = mesh_iod(m);
    if (iod < 8.0f || cv::countNonZero(hair) == 0) return;
    // The room above the brows: the face area above the brow points lifted by kFringeAboveBrows.
    const cv::Point2f up = face_up(m);
    std::vector<cv::Point> above;
    for (int i = 17; i <= 26; ++i) above.emplace_back(m[static_cast<std::size_t>(i)] + up * (kFringeAboveBrows * iod));
    above.emplace_back(above.back().x, 0);
    above.emplace_back(above.front().x, 0);
    cv::Mat room = cv::Mat::zeros(hair.size(), CV_8U);
    cv::fillPoly(room, std::vector<std::vector<cv::Point>>{above}, 255);
    cv::bitwise_and(room, area, room);
    std::vector<int> lowest(static_cast<std::size_t>(hair.cols), -1), bottom(static_cast<std::size_t>(hair.cols), -1);
    for (int y = 0; y < hair.rows; ++y) {
        const std::uint8_t* r = room.ptr<std::uint8_t>(y);
        const std::uint8_t* h = hair.ptr<std::uint8_t>(y);
        for (int x = 0; x < hair.cols; ++x) {
            if (!r[x]) continue;
            bottom[static_cast<std::size_t>(x)] = y;
            if (h[x]) lowest[static_cast<std::size_t>(x)] = y;
        }
    }
    // One decision per face, from the median gap between the hair and the brows over the columns
    // that hold hair: a fringe's edge is ragged (tips, a parting), and a per-column rule would
    // leave a comb of source skin. Closed, the forehead is the target's down to the brows.
    std::vector<int> gaps;
    for (int x = 0; x < hair.cols; ++x)
        if (lowest[static_cast<std::size_t>(x)] >= 0) gaps.push_back(bottom[static_cast<std::size_t>(x)] - lowest[static_cast<std::size_t>(x)]);
    if (gaps.size() < static_cast<std::size_t>(std::max(1.0f, kStripCover * iod))) return;
    std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2), gaps.end());
    if (static_cast<float>(gaps[gaps.size() / 2]) > kThinStrip * iod) return;
    hair.setTo(255, room);
}
}  // namespace

cv::Mat usable_source_pixels(const cv::Mat& rgb, const Mesh& mesh) {
    cv::Mat hair;
    const cv::Mat area = mesh_hull(mesh, rgb.size());
    SkinOcclusion().estimate(rgb, mesh, area, OcclusionRegion::HairRim, hair);
    close_thin_strip(mesh, area, hair);
    cv::Mat usable = cv::Mat(rgb.size(), CV_8U, cv::Scalar(255));
    usable.setTo(0, hair);
    return usable;
}

}  // namespace keyswap::face
