#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "face_test_util.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/face/face_swapper.hpp"
#include "keyswap/face/masks.hpp"

using namespace keyswap;
using namespace keyswap::face;
using test::as_mat;
using test::largest_face;

namespace {

SourceImage source(const std::string& rel) { return {rel, test::load_rgba(rel)}; }



// Counts pixels under `mask` (CV_8U, frame-sized) whose RGBA differ between a and b.
int changed_under(ImageU8& a, ImageU8& b, const cv::Mat& mask) {
    cv::Mat diff;
    cv::absdiff(as_mat(a), as_mat(b), diff);
    cv::Mat any;
    cv::transform(diff, any, cv::Matx14f(1, 1, 1, 1));
    return cv::countNonZero((any > 0) & mask);
}

cv::Mat polygon_mask(const ImageU8& img, const std::vector<cv::Point>& poly) {
    cv::Mat m = cv::Mat::zeros(img.height(), img.width(), CV_8U);
    cv::fillConvexPoly(m, poly, 255);  // rasterised as the mask renderer does
    return m;
}

std::vector<cv::Point> face_outline(const Landmarks& l) {
    std::vector<cv::Point> pts, hull;
    const Mesh m = make_mesh(l);
    // Rounded as the mask renderer rounds them: the area is exactly the swap's.
    for (int i : area_points(MaskArea::Face)) pts.emplace_back(static_cast<int>(std::lround(m[i].x)), static_cast<int>(std::lround(m[i].y)));
    cv::convexHull(pts, hull);
    return hull;
}

class FaceSwap : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // One swapper for the suite: model loading and the source library cost ~1 s.
        swapper_ = new FaceSwapper(FaceSettings{}, {source("faces/obama.jpg")});
        pool_ = new ThreadPool(2);
    }
    static void TearDownTestSuite() {
        delete swapper_;
        delete pool_;
    }
    // Swaps a still (as the first frame of a clip).
    static FrameFaces swap(Frame& f, const ImageF32* matte = nullptr) {
        swapper_->reset();
        return swapper_->process(f, matte, *pool_);
    }
    static FaceSwapper* swapper_;
    static ThreadPool* pool_;
};
FaceSwapper* FaceSwap::swapper_ = nullptr;
ThreadPool* FaceSwap::pool_ = nullptr;

}  // namespace

TEST_F(FaceSwap, MovesIdentityTowardTheSourceAndKeepsTheTargetsLandmarks) {
    Frame f = test::load_frame("faces/biden.jpg");
    const ImageU8 before = f.rgba;
    const FrameFaces r = swap(f);
    EXPECT_EQ(r.found, 1);
    ASSERT_EQ(r.swapped, 1);
    const Landmarks lt = largest_face(before);
    const Landmarks lo = largest_face(f.rgba);
    double err = 0;
    for (int i = 0; i < kLandmarks; ++i) err += cv::norm(lo[i] - lt[i]);
    EXPECT_LT(err / kLandmarks / inter_ocular(lt), 0.06);  // pose and expression kept

    auto& an = test::shared_analyser();
    const Embedding out = an.embed(f.rgba.view(), lo);
    const Embedding target = an.embed(before.view(), lt);
    const float to_source = swapper_->library().distance(out);
    EXPECT_LT(to_source, 0.6f);
    EXPECT_LT(to_source, embedding_distance(out, target));
}

TEST_F(FaceSwap, AlphaAndEverythingOutsideTheFaceAreUntouched) {
    Frame f = test::load_frame("faces/biden.jpg");
    for (int y = 0; y < f.rgba.height(); ++y)
        for (int x = 0; x < f.rgba.width(); ++x) f.rgba.at(x, y, 3) = static_cast<std::uint8_t>(x & 255);
    ImageU8 before = f.rgba;
    ASSERT_EQ(swap(f).swapped, 1);
    cv::Mat outside;
    cv::bitwise_not(polygon_mask(before, face_outline(swapper_->tracks().at(0).smooth)), outside);
    EXPECT_EQ(changed_under(before, f.rgba, outside), 0);
    for (int y = 0; y < f.rgba.height(); y += 7)
        for (int x = 0; x < f.rgba.width(); x += 7) ASSERT_EQ(f.rgba.at(x, y, 3), x & 255);
}

TEST_F(FaceSwap, BlendHasNoStepAtTheMaskBoundary) {
    Frame f = test::load_frame("faces/biden.jpg");
    ImageU8 before = f.rgba;
    ASSERT_EQ(swap(f).swapped, 1);
    // The outline of the landmarks the swap used (a second landmark run may differ by a pixel or two).
    const cv::Mat inside = polygon_mask(before, face_outline(swapper_->tracks().at(0).smooth));
    cv::Mat eroded;
    cv::erode(inside, eroded, cv::Mat(), cv::Point(-1, -1), 1);
    const cv::Mat rim = inside & ~eroded;  // the 1-px band just inside the boundary
    cv::Mat diff;
    cv::absdiff(as_mat(before), as_mat(f.rgba), diff);
    std::vector<cv::Mat> ch;
    cv::split(diff, ch);
    const cv::Mat rgb_diff = cv::max(cv::max(ch[0], ch[1]), ch[2]);
    double worst = 0;
    cv::minMaxLoc(rgb_diff, nullptr, &worst, nullptr, nullptr, rim);
    EXPECT_LE(worst, 6.0);  // the swap fades in from zero: no visible edge
    // ...and it does change the face well inside.
    cv::erode(inside, eroded, cv::Mat(), cv::Point(-1, -1), 40);
    EXPECT_GT(changed_under(before, f.rgba, eroded), cv::countNonZero(eroded) / 2);
}

TEST_F(FaceSwap, MatteZeroKeepsPixelsAndSoftMatteFades) {
    Frame f = test::load_frame("faces/biden.jpg");
    ImageU8 before = f.rgba;
    const Landmarks l = largest_face(before);
    const int split = static_cast<int>(l[30].x);  // nose tip column
    ImageF32 matte(f.rgba.width(), f.rgba.height(), 1, 1.0f);
    for (int y = 0; y < matte.height(); ++y)
        for (int x = 0; x < split; ++x) matte.at(x, y) = 0.0f;
    ASSERT_EQ(swap(f, &matte).swapped, 1);
    cv::Mat left = cv::Mat::zeros(before.height(), before.width(), CV_8U);
    left.colRange(0, split).setTo(255);
    EXPECT_EQ(changed_under(before, f.rgba, left), 0);
    EXPECT_GT(changed_under(before, f.rgba, ~left), 1000);

    // A soft matte (0.5 everywhere) moves each pixel half as far as a full one does.
    Frame full = test::load_frame("faces/biden.jpg"), half = full;
    const ImageF32 one(f.rgba.width(), f.rgba.height(), 1, 1.0f), mid(f.rgba.width(), f.rgba.height(), 1, 0.5f);
    ASSERT_EQ(swap(full, &one).swapped, 1);
    ASSERT_EQ(swap(half, &mid).swapped, 1);
    double ratio_sum = 0;
    long n = 0;
    for (int y = 0; y < before.height(); ++y)
        for (int x = 0; x < before.width(); ++x)
            for (int c = 0; c < 3; ++c) {
                const int d_full = full.rgba.at(x, y, c) - before.at(x, y, c);
                if (std::abs(d_full) < 30) continue;  // clear changes only: rounding stays small
                ratio_sum += double(half.rgba.at(x, y, c) - before.at(x, y, c)) / d_full;
                ++n;
            }
    ASSERT_GT(n, 500);
    EXPECT_NEAR(ratio_sum / n, 0.5, 0.05) << "a 0.5 matte should give half the change";
}

TEST_F(FaceSwap, NoFaceInTargetLeavesTheFrameUnchanged) {
    Frame f;
    f.rgba = ImageU8(320, 240, 4, 77);
    const ImageU8 before = f.rgba;
    const FrameFaces r = swap(f);
    EXPECT_EQ(r.found, 0);
    EXPECT_EQ(r.swapped, 0);
    EXPECT_EQ(f.rgba.pixels(), before.pixels());
}

TEST_F(FaceSwap, TinyAndEdgeFacesDoNotCrash) {
    Frame big = test::load_frame("faces/obama.jpg");
    // Face cut by the left edge.
    const int x0 = big.rgba.width() * 4 / 10;
    Frame edge;
    edge.rgba = ImageU8(big.rgba.width() - x0, big.rgba.height(), 4);
    for (int y = 0; y < big.rgba.height(); ++y)
        std::copy(big.rgba.row(y) + x0 * 4, big.rgba.row(y) + big.rgba.width() * 4, edge.rgba.row(y));
    const ImageU8 edge_before = edge.rgba;
    const FrameFaces r = swap(edge);
    EXPECT_LE(r.swapped, r.found);
    // Only pixels near a found face may change, and alpha never.
    cv::Mat near_face = cv::Mat::zeros(edge.rgba.height(), edge.rgba.width(), CV_8U);
    for (const auto& t : swapper_->tracks()) {
        const cv::Rect2f b = t.box;
        cv::rectangle(near_face, cv::Rect(cv::Point(int(b.x - b.width), int(b.y - b.height)), cv::Size(int(3 * b.width), int(3 * b.height))),
                      255, cv::FILLED);
    }
    ImageU8 copy = edge_before;
    EXPECT_EQ(changed_under(copy, edge.rgba, ~near_face), 0);
    for (int y = 0; y < edge.rgba.height(); ++y)
        for (int x = 0; x < edge.rgba.width(); ++x) ASSERT_EQ(edge.rgba.at(x, y, 3), edge_before.at(x, y, 3));
    // The whole photo shrunk to a thumbnail: the face is a few pixels wide.
    Frame tiny;
    tiny.rgba = ImageU8(40, 50, 4);
    cv::resize(as_mat(big.rgba), as_mat(tiny.rgba), cv::Size(40, 50), 0, 0, cv::INTER_AREA);
    EXPECT_EQ(swap(tiny).swapped, 0);
}

// With the shape transfer too: the target's pixels around the face move, its kept mouth not.
TEST(FaceSwapSetup, KeepMouthLeavesTheInnerMouthUntouched) {
    for (double shape : {0.0, 0.4}) {
        FaceSettings s;
        s.keep_mouth = true;
        s.face_shape = shape;
        FaceSwapper swapper(s, {source("faces/biden.jpg")});
        ThreadPool pool(1);
        Frame f = test::load_frame("faces/obama.jpg");  // smiling: teeth show
        ImageU8 before = f.rgba;
        ASSERT_EQ(swapper.process(f, nullptr, pool).swapped, 1);
        const Landmarks l = largest_face(before);
        const cv::Mat mouth = polygon_mask(before, inner_mouth_polygon(make_mesh(l)));
        ASSERT_GT(cv::countNonZero(mouth), 100);
        EXPECT_EQ(changed_under(before, f.rgba, mouth), 0) << "face shape " << shape;
    }
}

TEST(FaceSwapSetup, ReferenceSwapsOnlyThatPerson) {
    FaceSettings s;
    s.faces = FaceChoice::Reference;
    const ImageU8 reference = test::load_rgba("faces/biden2.jpg");
    FaceSwapper swapper(s, {source("faces/stefan.jpg")}, &reference);
    ThreadPool pool(1);
    Frame f = test::load_frame("faces/two_people.jpg");
    ImageU8 before = f.rgba;
    const FrameFaces r = swapper.process(f, nullptr, pool);
    EXPECT_EQ(r.found, 2);
    ASSERT_EQ(r.swapped, 1);
    // Which face is Biden: the one nearer the reference's embedding.
    auto& an = test::shared_analyser();
    const Landmarks refl = largest_face(reference);
    const Embedding ref = an.embed(reference.view(), refl);
    std::vector<Track> faces = an.analyse(before.view());
    ASSERT_EQ(faces.size(), 2u);
    const float d0 = embedding_distance(an.embed(before.view(), faces[0].raw), ref);
    const float d1 = embedding_distance(an.embed(before.view(), faces[1].raw), ref);
    const Landmarks& biden = d0 < d1 ? faces[0].raw : faces[1].raw;
    const Landmarks& obama = d0 < d1 ? faces[1].raw : faces[0].raw;
    EXPECT_EQ(changed_under(before, f.rgba, polygon_mask(before, face_outline(obama))), 0);
    EXPECT_GT(changed_under(before, f.rgba, polygon_mask(before, face_outline(biden))), 500);
}

TEST(FaceSwapSetup, SourceWithoutAFaceIsNoFace) {
    const SourceImage flat{"flat.png", ImageU8(200, 200, 4, 128)};
    try {
        FaceSwapper swapper(FaceSettings{}, {flat});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::NoFace);
        EXPECT_EQ(e.path(), "flat.png");
    }
}

TEST(FaceSwapSetup, SeveralSourceFacesNeedSourceFace) {
    try {
        FaceSwapper swapper(FaceSettings{}, {source("faces/two_people.jpg")});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
        EXPECT_NE(std::string(e.what()).find("--source-face"), std::string::npos);
    }
    FaceSettings s;
    s.source_face = 1;
    FaceSwapper swapper(s, {source("faces/two_people.jpg")});
    EXPECT_EQ(swapper.library().faces().size(), 2u);  // the face and its mirrored copy
}

TEST(FaceSwapSetup, GreyscaleSourceWorks) {
    const ImageU8 rgba = test::load_rgba("faces/obama2.jpg");
    ImageU8 grey(rgba.width(), rgba.height(), 1);
    cv::Mat g(grey.height(), grey.width(), CV_8UC1, grey.data());
    cv::cvtColor(cv::Mat(rgba.height(), rgba.width(), CV_8UC4, const_cast<std::uint8_t*>(rgba.data())), g,
                 cv::COLOR_RGBA2GRAY);
    FaceSwapper swapper(FaceSettings{}, {{"grey", grey}});
    ThreadPool pool(1);
    Frame f = test::load_frame("faces/biden.jpg");
    EXPECT_EQ(swapper.process(f, nullptr, pool).swapped, 1);
}

TEST(FaceSwapSetup, ParamsTableCoversTheSettings) {
    const auto& t = face_params();
    FaceSettings s;
    t.set(s, "source", "a.jpg");
    t.set(s, "source", "b.jpg");
    t.set(s, "faces", "reference");
    t.set(s, "mask", "eyes-nose");
    t.set(s, "keep-mouth", "on");
    t.set(s, "detect-every", "3");
    EXPECT_EQ(s.source.size(), 2u);
    EXPECT_EQ(s.faces, FaceChoice::Reference);
    EXPECT_EQ(s.mask, MaskArea::EyesNose);
    EXPECT_TRUE(s.keep_mouth);
    EXPECT_EQ(s.detect_every, 3);
    EXPECT_THROW(t.set(s, "faces", "some"), Error);
    EXPECT_THROW(t.set(s, "reference-distance", "9"), Error);
}
