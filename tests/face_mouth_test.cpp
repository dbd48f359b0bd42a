// The mouth as a region of its own: the inside of the target's mouth comes from the target
// whenever the source cannot provide it. Real photos from faces/people: Alex Lacamoire smiling
// broadly (teeth, the detector's lower inner lip across the middle of them) and Kit Harington
// with closed lips.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <cstdio>

#include "face_test_util.hpp"
#include "keyswap/face/face_swapper.hpp"
#include "keyswap/face/masks.hpp"
#include "keyswap/face/mouth_interior.hpp"

namespace keyswap::test {
namespace {

constexpr const char* kSmile = "faces/people/alex_lacamoire_1.jpg";
constexpr const char* kSmile2 = "faces/people/alex_lacamoire_2.jpg";
constexpr const char* kClosed = "faces/people/kit_harington_3.jpg";

cv::Mat rgb_of(ImageU8& img) {
    cv::Mat rgb;
    cv::cvtColor(as_mat(img), rgb, cv::COLOR_RGBA2RGB);
    return rgb;
}

cv::Mat lips_area(const cv::Mat& rgb, const face::Landmarks& l) {
    std::vector<cv::Point> outer;
    for (int i = 48; i <= 59; ++i) outer.emplace_back(static_cast<int>(std::lround(l[i].x)), static_cast<int>(std::lround(l[i].y)));
    cv::Mat m = cv::Mat::zeros(rgb.size(), CV_8U);
    cv::fillPoly(m, std::vector{outer}, cv::Scalar(255));
    return m;
}

// Tooth-like pixels, judged independently of the code under test: light and nearly colourless
// (HSV value over 60%, saturation under 30%).
cv::Mat tooth_like(const cv::Mat& rgb) {
    cv::Mat hsv, out;
    cv::cvtColor(rgb, hsv, cv::COLOR_RGB2HSV);
    cv::inRange(hsv, cv::Scalar(0, 0, 115), cv::Scalar(180, 90, 255), out);
    return out;
}

Frame swapped(const char* source, const char* target) {
    const std::vector<face::SourceImage> src{{source, load_rgba(source)}};
    face::FaceSwapper swapper(face::FaceSettings{}, src);
    Frame f = load_frame(target);
    EXPECT_EQ(swapper.process(f, nullptr, ThreadPool::shared()).swapped, 1);
    return f;
}

TEST(MouthInterior, TakesTheTeethTheInnerLipLineCutsThroughAndStaysInsideTheLips) {
    if (!has_asset(kSmile)) GTEST_SKIP() << "needs ../shared/assets";
    ImageU8 img = load_rgba(kSmile);
    const face::Landmarks l = largest_face(img);
    const cv::Mat rgb = rgb_of(img), lips = lips_area(rgb, l);
    const cv::Mat inside = face::mouth_interior(rgb, face::make_mesh(l));
    const cv::Mat teeth = tooth_like(rgb) & lips;
    cv::Mat polygon = cv::Mat::zeros(rgb.size(), CV_8U);
    cv::fillPoly(polygon, std::vector{face::inner_mouth_polygon(face::make_mesh(l))}, cv::Scalar(255));
    const double n = cv::countNonZero(teeth);
    ASSERT_GT(n, 500) << "the photo's smile shows teeth";
    const double by_polygon = cv::countNonZero(teeth & polygon) / n, by_interior = cv::countNonZero(teeth & inside) / n;
    std::printf("teeth inside: inner-lip polygon %.2f, mouth interior %.2f\n", by_polygon, by_interior);
    EXPECT_GT(by_interior, 0.97);
    EXPECT_GE(by_interior, by_polygon);
    EXPECT_EQ(cv::countNonZero(inside & ~lips), 0) << "the mouth's inside reaches past the outer lip line";
    // And the lips themselves stay out: most of the ring between the two lip lines is not inside.
    const double ring = cv::countNonZero(lips & ~polygon & ~teeth);
    EXPECT_LT(cv::countNonZero(inside & lips & ~polygon & ~teeth) / ring, 0.25);
}

TEST(MouthInterior, OfClosedLipsIsLittleMoreThanTheLineBetweenThem) {
    if (!has_asset(kClosed)) GTEST_SKIP() << "needs ../shared/assets";
    ImageU8 img = load_rgba(kClosed);
    const face::Landmarks l = largest_face(img);
    const cv::Mat rgb = rgb_of(img);
    const cv::Mat inside = face::mouth_interior(rgb, face::make_mesh(l));
    const double share = double(cv::countNonZero(inside)) / cv::countNonZero(lips_area(rgb, l));
    std::printf("closed mouth: inside %.3f of the lips' area\n", share);
    EXPECT_LT(share, 0.15);
}

// A broad smile swapped onto closed lips: squeezed into them, the source's teeth used to show
// as a white band where the target's lips meet. Measured on the band along the target's inner
// lip line (a few pixels either side), which is darker than the lips in the photo.
TEST(FaceSwapMouth, ASmilingSourceLeavesNoTeethOnClosedLips) {
    if (!has_asset(kClosed)) GTEST_SKIP() << "needs ../shared/assets";
    ImageU8 before = load_rgba(kClosed);
    const face::Landmarks l = largest_face(before);
    Frame f = swapped(kSmile2, kClosed);
    cv::Mat band = cv::Mat::zeros(before.height(), before.width(), CV_8U);
    cv::polylines(band, std::vector{face::inner_mouth_polygon(face::make_mesh(l))}, true, cv::Scalar(255), std::max(3, static_cast<int>(0.06f * face::inter_ocular(l))));
    cv::Mat grey_before, grey_after;
    cv::cvtColor(as_mat(before), grey_before, cv::COLOR_RGBA2GRAY);
    cv::cvtColor(as_mat(f.rgba), grey_after, cv::COLOR_RGBA2GRAY);
    const cv::Mat bright = grey_after > 170;
    const double was = cv::mean(grey_before, band)[0], now = cv::mean(grey_after, band)[0];
    const double white = cv::countNonZero(bright & band) / double(cv::countNonZero(band));
    std::printf("between the lips: mean grey %.1f before the swap, %.1f after; %.3f of it white\n", was, now, white);
    // (Measured: 120 grey and 0.21 white, the lower lip's own sheen; with the teeth 172 and 0.59.)
    EXPECT_LT(now, was + 50.0);
    EXPECT_LT(white, 0.35);
}

// A closed source mouth on a broad smile: the target's teeth stay, all of them, not only those
// inside the detector's inner lip line.
TEST(FaceSwapMouth, ALaughingTargetKeepsAllItsTeeth) {
    if (!has_asset(kSmile)) GTEST_SKIP() << "needs ../shared/assets";
    ImageU8 before = load_rgba(kSmile);
    const face::Landmarks l = largest_face(before);
    Frame f = swapped(kClosed, kSmile);
    const cv::Mat rgb = rgb_of(before), lips = lips_area(rgb, l);
    const cv::Mat teeth = tooth_like(rgb) & lips;
    cv::Mat diff, grey;
    cv::absdiff(rgb, rgb_of(f.rgba), diff);
    cv::cvtColor(diff, grey, cv::COLOR_RGB2GRAY);
    const double kept = cv::countNonZero((grey <= 6) & teeth) / double(cv::countNonZero(teeth));
    std::printf("target's teeth kept: %.2f\n", kept);
    EXPECT_GT(kept, 0.985);  // (0.96 by the inner-lip polygon, 1.00 by the mouth's pixels)
}

}  // namespace
}  // namespace keyswap::test
