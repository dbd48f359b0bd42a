#pragma once
// A camera turned around the generic head (face/head_pose.hpp), for tests that render the head
// at known poses: ground truth for where every point of it lands.
#include <cmath>

#include "keyswap/face/head_pose.hpp"

namespace keyswap::test {

// A camera at `yaw` degrees (+ = nose toward the image's right) looking at the generic head from
// 12 eye distances, `iod` px per eye distance, the face near `centre`.
inline face::HeadPose head_view(double yaw, double iod, cv::Point2d centre) {
    face::HeadPose p;
    const double a = -yaw * CV_PI / 180;
    p.rotation = cv::Matx33d(std::cos(a), 0, std::sin(a), 0, 1, 0, -std::sin(a), 0, std::cos(a));
    p.translation = {0, -0.5, 12};
    p.focal = 12 * iod;
    p.centre = centre;
    p.fitted = true;
    return p;
}

}  // namespace keyswap::test
