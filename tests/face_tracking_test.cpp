// Tracking on video: one face panned across the frame keeps one id through detections that
// run only every few frames, and its landmarks follow the motion.
#include <gtest/gtest.h>

#include "face_test_util.hpp"
#include "keyswap/face/geometry.hpp"

namespace keyswap::test {
namespace {

// Frame i of a camera pan over the photo: a 560x560 window moving 6 px right and 2 px down
// per frame, so the face moves the other way by a known amount.
Frame pan_frame(const ImageU8& photo, int i) {
    Frame f;
    f.rgba.reshape(560, 560, 4);
    const int ox = 150 + 6 * i, oy = 120 + 2 * i;
    for (int y = 0; y < 560; ++y)
        std::copy_n(photo.row(oy + y) + 4 * ox, 560 * 4, f.rgba.row(y));
    f.time = i / 30.0;
    f.index = i;
    return f;
}

cv::Point2f centre(const face::Landmarks& l) {
    cv::Point2f c(0, 0);
    for (const auto& p : l) c += p;
    return c * (1.0f / static_cast<float>(l.size()));
}

TEST(FaceTracking, OnePannedFaceKeepsOneIdAndFollowsTheMotion) {
    if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << "needs ../shared/assets";
    const ImageU8 photo = load_rgba("faces/obama.jpg");  // 910x1137
    face::AnalyserSettings s;
    s.smooth = false;  // raw fits: the test measures tracking, not the filter's lag
    face::FaceAnalyser analyser(s);
    StageTimes times;
    int id = -1;
    cv::Point2f first;
    for (int i = 0; i < 40; ++i) {
        const Frame f = pan_frame(photo, i);
        const auto& tracks = analyser.track(f.rgba.view(), f.time, &times);
        ASSERT_EQ(tracks.size(), 1u) << "frame " << i;
        if (i == 0) {
            id = tracks[0].id;
            first = centre(tracks[0].raw);
        }
        EXPECT_EQ(tracks[0].id, id) << "the track changed id at frame " << i;
        const cv::Point2f expected = first - cv::Point2f(6.0f * i, 2.0f * i);
        const float iod = face::inter_ocular(tracks[0].raw);
        EXPECT_LT(cv::norm(centre(tracks[0].raw) - expected), 0.05f * iod) << "frame " << i;
    }
}

}  // namespace
}  // namespace keyswap::test
