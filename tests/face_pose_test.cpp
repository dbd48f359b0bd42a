// Head pose on the generic 3D head (face/head_pose.hpp): exact on synthetic projections, and
// plausible and mirror-consistent on real photos.
#include <gtest/gtest.h>

#include <opencv2/calib3d.hpp>

#include "face_test_util.hpp"
#include "keyswap/face/head_pose.hpp"
#include "keyswap/face/source_library.hpp"

using namespace keyswap;
using namespace keyswap::face;
using keyswap::test::load_rgba;
using keyswap::test::shared_analyser;

namespace {

// The generic head's 68 landmarks seen by a camera at `yaw`, `pitch` degrees, 100 px per eye distance.
Landmarks project_head(double yaw, double pitch) {
    const double y = yaw * CV_PI / 180, p = pitch * CV_PI / 180;
    // Nose toward the image's right for +yaw (about the head's y axis), up for +pitch.
    const cv::Matx33d ry(std::cos(y), 0, -std::sin(y), 0, 1, 0, std::sin(y), 0, std::cos(y));
    const cv::Matx33d rx(1, 0, 0, 0, std::cos(p), std::sin(p), 0, -std::sin(p), std::cos(p));
    const cv::Matx33d r = rx * ry;
    cv::Vec3d rvec;
    cv::Rodrigues(r, rvec);
    std::vector<cv::Point3f> pts(mean_head().begin(), mean_head().begin() + kLandmarks);
    std::vector<cv::Point2f> img;
    // The head is moved so that the face's centre (as estimate_pose takes it) sits on the
    // optical axis: the pose is then the same relative to the camera and to the line of sight.
    const cv::Matx33d k(1200, 0, 400, 0, 1200, 300, 0, 0, 1);
    cv::Vec3d t(0, 0, 12);
    Landmarks l;
    for (int it = 0; it < 4; ++it) {
        cv::projectPoints(pts, rvec, t, k, cv::noArray(), img);
        std::copy(img.begin(), img.end(), l.begin());
        const cv::Point2f c = (left_eye(l) + right_eye(l) + l[33]) * (1.0f / 3.0f);
        t[0] -= (c.x - 400) / 1200.0 * t[2];
        t[1] -= (c.y - 300) / 1200.0 * t[2];
    }
    return l;
}

Landmarks largest_face(const ImageU8& img) {
    const Landmarks best = test::largest_face(img);
    shared_analyser().reset();
    return best;
}

}  // namespace

TEST(HeadPose, RecoversAKnownPoseOfTheGenericHead) {
    for (double yaw : {-40.0, -15.0, 0.0, 25.0, 45.0})
        for (double pitch : {-15.0, 0.0, 12.0}) {
            const HeadPose p = estimate_pose(project_head(yaw, pitch));
            ASSERT_TRUE(p.fitted);
            EXPECT_NEAR(p.yaw, yaw, 2.0) << "yaw " << yaw << " pitch " << pitch;
            EXPECT_NEAR(p.pitch, pitch, 2.0) << "yaw " << yaw << " pitch " << pitch;
            EXPECT_NEAR(p.roll, 0.0, 2.0);
        }
}

TEST(HeadPose, VisibilityFollowsTheTurn) {
    const auto front = visibility(estimate_pose(project_head(0, 0)));
    EXPECT_GT(front[30], 0.9f);  // nose tip faces the camera
    EXPECT_NEAR(front[2], front[14], 0.05f);
    EXPECT_LT(front[0], 0.5f);  // the outline at eye level is seen edge-on
    // Nose toward the image's right: the image-right cheek turns away, the left one toward us.
    const auto turned = visibility(estimate_pose(project_head(35, 0)));
    EXPECT_GT(turned[3], front[3]);
    EXPECT_LT(turned[13], 0.5f * front[13]);
}

TEST(HeadPose, RealPhotosFrontalTurnedAndMirrored) {
    const Landmarks front = largest_face(load_rgba("faces/obama.jpg"));
    const HeadPose pf = estimate_pose(front);
    ASSERT_TRUE(pf.fitted);
    EXPECT_LT(std::abs(pf.yaw), 12.0);
    EXPECT_LT(std::abs(pf.roll), 12.0);

    const ImageU8 turned_img = load_rgba("faces/people/kit_harington_2.jpg");
    const Landmarks turned = largest_face(turned_img);
    const HeadPose pt = estimate_pose(turned);
    ASSERT_TRUE(pt.fitted);
    EXPECT_GT(std::abs(pt.yaw), 20.0);
    EXPECT_LT(std::abs(pt.yaw), 70.0);
    // The same face mirrored turns the other way by the same angle.
    const HeadPose pm = estimate_pose(mirrored(turned, static_cast<float>(turned_img.width() - 1)));
    EXPECT_NEAR(pm.yaw, -pt.yaw, 3.0);
    EXPECT_NEAR(pm.pitch, pt.pitch, 3.0);
    // And the landmark-only yaw measure agrees on the direction.
    EXPECT_GT(pt.yaw * yaw_ratio(turned), 0.0);
}
