#pragma once
// Face geometry shared by the face modules.
//
// What this represents: the 68-point iBUG landmark layout (dlib's shape predictor order:
// jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, outer lips 48-59, inner lips 60-67) and small
// helpers on it: eye centres, inter-ocular distance (the unit every face-relative size uses),
// boxes, and a least-squares similarity fit between two point sets.
// Thread safety: pure functions.
#include <opencv2/core.hpp>

#include <array>
#include <span>

namespace keyswap::face {

inline constexpr int kLandmarks = 68;
using Landmarks = std::array<cv::Point2f, kLandmarks>;

cv::Point2f left_eye(const Landmarks& l);   // image-left eye (points 36-41)
cv::Point2f right_eye(const Landmarks& l);  // image-right eye (points 42-47)
float inter_ocular(const Landmarks& l);     // distance between the eye centres, px

// Tight box around the points.
cv::Rect2f bounds(std::span<const cv::Point2f> pts);
float iou(const cv::Rect2f& a, const cv::Rect2f& b);

// The similarity transform (scale, rotation, shift) that best maps `from` onto `to` in the
// least-squares sense (Umeyama). Requires: same non-zero size. Returns a 2x3 CV_64F matrix.
cv::Mat similarity_fit(std::span<const cv::Point2f> from, std::span<const cv::Point2f> to);

// Left-right renumbering of the 68 landmarks: point i of a mirrored face is point
// kMirrorLandmarks[i] of the face, reflected.
extern const std::array<int, kLandmarks> kMirrorLandmarks;
// The landmarks of the face reflected about x = right_edge / 2 (an image `w` wide: w - 1;
// coordinates centred on 0: 0), renumbered so they are again a face's landmarks.
Landmarks mirrored(const Landmarks& l, float right_edge);

// Mean distance between `a` and `b` after fitting `a` onto `b` by a similarity, divided by b's
// inter-ocular distance: 0 for the same pose and expression at any position, scale, roll.
float shape_distance(const Landmarks& a, const Landmarks& b);

}  // namespace keyswap::face
