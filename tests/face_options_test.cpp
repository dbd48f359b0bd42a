// The face swap's options, each against what a user would see: which faces change
// (--faces all/one, --face-order), where (--mask), how the colour is matched
// (--color-match), several source photos, and the CNN detector.
#include <gtest/gtest.h>

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "face_test_util.hpp"
#include "keyswap/face/face_swapper.hpp"

namespace keyswap::test {
namespace {

using namespace keyswap::face;

SourceImage source(const std::string& rel) { return {rel, load_rgba(rel)}; }

struct Result {
    FrameFaces faces;
    Frame frame;
    std::vector<cv::Rect2f> boxes;  // every tracked face's box
    std::vector<float> sizes;       // and its inter-ocular distance (what "large" means)
};

Result swap_on(const FaceSettings& s, const ImageU8& target, std::vector<SourceImage> sources = {}) {
    if (sources.empty()) sources.push_back(source("faces/stefan.jpg"));
    FaceSwapper swapper(s, sources);
    ThreadPool pool(2);
    Result r;
    r.frame.rgba = target;
    r.faces = swapper.process(r.frame, nullptr, pool);
    for (const auto& t : swapper.tracks()) {
        r.boxes.push_back(t.box);
        r.sizes.push_back(inter_ocular(t.raw));
    }
    return r;
}

Result swap_with(const FaceSettings& s, const std::string& target, std::vector<SourceImage> sources = {}) {
    return swap_on(s, load_rgba(target), std::move(sources));
}

ImageU8 mirrored(const ImageU8& img) {
    ImageU8 out(img.width(), img.height(), 4);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            for (int c = 0; c < 4; ++c) out.at(img.width() - 1 - x, y, c) = img.at(x, y, c);
    return out;
}

// Pixels whose colour changed, inside `box`.
long changed_in(const ImageU8& before, const ImageU8& after, const cv::Rect2f& box) {
    long n = 0;
    const int x0 = std::max(0, int(box.x)), y0 = std::max(0, int(box.y));
    const int x1 = std::min(before.width(), int(box.x + box.width)), y1 = std::min(before.height(), int(box.y + box.height));
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x)
            for (int c = 0; c < 3; ++c)
                if (before.at(x, y, c) != after.at(x, y, c)) {
                    ++n;
                    break;
                }
    return n;
}

class FaceOptions : public ::testing::Test {
protected:
    void SetUp() override {
        if (!has_asset("faces/two_people.jpg") || !has_asset("faces/stefan.jpg")) GTEST_SKIP() << "needs ../shared/assets";
    }
};

TEST_F(FaceOptions, AllSwapsEveryFaceAndOneSwapsOne) {
    const ImageU8 before = load_rgba("faces/two_people.jpg");
    FaceSettings s;
    s.faces = FaceChoice::All;
    const Result all = swap_with(s, "faces/two_people.jpg");
    ASSERT_EQ(all.faces.found, 2);
    EXPECT_EQ(all.faces.swapped, 2);
    for (const auto& b : all.boxes) EXPECT_GT(changed_in(before, all.frame.rgba, b), b.area() / 4) << "a face was left";
    s.faces = FaceChoice::One;
    const Result one = swap_with(s, "faces/two_people.jpg");
    EXPECT_EQ(one.faces.swapped, 1);
    int untouched = 0;
    for (const auto& b : one.boxes) untouched += changed_in(before, one.frame.rgba, b) == 0;
    EXPECT_EQ(untouched, 1);
}

TEST_F(FaceOptions, FaceOrderPicksTheLargestOrTheLeftmost) {
    // The photo and its mirror image: in one of them the larger face is not the leftmost.
    const ImageU8 photo = load_rgba("faces/two_people.jpg");
    int orders_differ = 0;
    for (const ImageU8& before : {photo, mirrored(photo)}) {
        auto changed_box = [&](const Result& r) {
            for (const auto& b : r.boxes)
                if (changed_in(before, r.frame.rgba, b) > 0) return b;
            return cv::Rect2f();
        };
        FaceSettings s;
        s.face_order = FaceOrder::LargeSmall;
        const Result large = swap_on(s, before);
        s.face_order = FaceOrder::LeftRight;
        const Result left = swap_on(s, before);
        ASSERT_EQ(large.boxes.size(), 2u);
        const cv::Rect2f a = large.boxes[0], b = large.boxes[1];
        const cv::Rect2f& largest = large.sizes[0] >= large.sizes[1] ? a : b;
        const cv::Rect2f& leftmost = a.x <= b.x ? a : b;
        EXPECT_NEAR(changed_box(large).x, largest.x, 2.0);
        EXPECT_NEAR(changed_box(left).x, leftmost.x, 2.0);
        orders_differ += largest.x != leftmost.x;
    }
    EXPECT_EQ(orders_differ, 1);
}

TEST_F(FaceOptions, MasksReplaceTheirPartOfTheFace) {
    const ImageU8 before = load_rgba("faces/obama.jpg");
    const Landmarks l = shared_analyser().analyse(before.view()).at(0).raw;
    const float nose_y = l[33].y;  // bottom of the nose
    for (double shape : {0.0, 0.4}) {
        SCOPED_TRACE(testing::Message() << "face shape " << shape);
        auto above_below = [&](MaskArea m) {
            FaceSettings s;
            s.mask = m;
            s.face_shape = shape;  // the transfer moves only the features of the mask's part
            const Result r = swap_with(s, "faces/obama.jpg");
            const cv::Rect2f box = r.boxes.at(0);
            cv::Rect2f top = box, bottom = box;
            top.height = nose_y - box.y;
            bottom.y = nose_y, bottom.height = box.y + box.height - nose_y + box.height * 0.3f;
            return std::pair{changed_in(before, r.frame.rgba, top), changed_in(before, r.frame.rgba, bottom)};
        };
        const auto face = above_below(MaskArea::Face), upper = above_below(MaskArea::Upper),
                   lower = above_below(MaskArea::Lower), eyes = above_below(MaskArea::EyesNose);
        EXPECT_GT(face.first, 1000);
        EXPECT_GT(face.second, 1000);
        EXPECT_GT(upper.first, 4 * upper.second) << "upper replaced mostly below the nose";
        EXPECT_GT(lower.second, 4 * lower.first) << "lower replaced mostly above the nose";
        EXPECT_LT(eyes.first + eyes.second, (face.first + face.second) * 3 / 4) << "eyes-nose replaced as much as the face";
    }
}

// Mean RGB inside the face's central box.
std::array<double, 3> face_mean(const ImageU8& img, const cv::Rect2f& box) {
    const cv::Rect2f c(box.x + box.width * 0.3f, box.y + box.height * 0.3f, box.width * 0.4f, box.height * 0.4f);
    std::array<double, 3> m{};
    long n = 0;
    for (int y = int(c.y); y < int(c.y + c.height); ++y)
        for (int x = int(c.x); x < int(c.x + c.width); ++x, ++n)
            for (int k = 0; k < 3; ++k) m[k] += img.at(x, y, k);
    for (auto& v : m) v /= std::max(1L, n);
    return m;
}

TEST_F(FaceOptions, ColourMatchBringsTheSwappedSkinTowardTheTargets) {
    const ImageU8 before = load_rgba("faces/obama.jpg");
    auto distance_to_target = [&](ColourMatch cm) {
        FaceSettings s;
        s.color_match = cm;
        const Result r = swap_with(s, "faces/obama.jpg", {source("faces/stefan.jpg")});
        const auto a = face_mean(r.frame.rgba, r.boxes.at(0)), b = face_mean(before, r.boxes.at(0));
        return std::abs(a[0] - b[0]) + std::abs(a[1] - b[1]) + std::abs(a[2] - b[2]);
    };
    const double off = distance_to_target(ColourMatch::Off), lab = distance_to_target(ColourMatch::Lab);
    EXPECT_LT(lab, off * 0.7) << "off " << off << ", lab " << lab;
}

TEST_F(FaceOptions, SeveralSourcePhotosMakeOneLibrary) {
    if (!has_asset("faces/biden2.jpg")) GTEST_SKIP();
    FaceSettings s;
    FaceSwapper swapper(s, {source("faces/biden.jpg"), source("faces/biden2.jpg")});
    // Each photo gives its face and a mirrored copy (for sources turned the other way).
    const auto& faces = swapper.library().faces();
    ASSERT_EQ(faces.size(), 4u);
    EXPECT_EQ(std::count_if(faces.begin(), faces.end(), [](const auto& f) { return !f.mirrored; }), 2);
    ThreadPool pool(2);
    Frame f = load_frame("faces/obama.jpg");
    EXPECT_EQ(swapper.process(f, nullptr, pool).swapped, 1);
}

TEST_F(FaceOptions, CnnDetectorFindsBothFaces) {
    AnalyserSettings a;
    a.detector = {DetectorKind::Cnn, {}};
    try {
        FaceAnalyser analyser(a);
        const ImageU8 img = load_rgba("faces/two_people.jpg");
        EXPECT_EQ(analyser.analyse(img.view()).size(), 2u);
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::Model) GTEST_SKIP() << e.what();  // the CNN model is optional in setup
        throw;
    }
}

}  // namespace
}  // namespace keyswap::test
