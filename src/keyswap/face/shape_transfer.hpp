#pragma once
// Moving the target's face toward the source's proportions (identity geometry).
//
// What this represents: feature proportions (jaw and chin outline, nose length and width, eye
// width, brow height, mouth position) are part of who someone is, and a warp that keeps every
// target landmark keeps the target's. `transfer_shape` moves the target's landmarks toward the
// source's, measured in each face's own eye frame (origin between the eyes, unit = eye distance,
// rolled with the eyes), so position, scale and roll stay the target's. Expression stays the
// target's: eyes are widened or narrowed but not opened or closed, the mouth is moved but not
// reshaped, and the chin follows the target's mouth opening. Head pose differences cannot be
// told apart from proportions in 2D, so the 2D form fades to 0 as the two faces' yaw differs;
// the 3D form compares the faces on the generic head's frontal plane (each seen through its own
// pose, head_pose.hpp), so a turned source or target keeps the transfer: the far side of a
// turned source is taken from its near side by symmetry, and the moves are foreshortened as
// the target's turned face is.
// `ShapeWarp` moves the target's own pixels the same way (a smooth displacement field that
// falls to zero about an eye distance away from the face), so no old edge (jaw, chin) shows
// beside the new one.
// Thread safety: `transfer_shape` is pure; `ShapeWarp` keeps buffers, one per swapper.
#include <opencv2/core.hpp>

#include "keyswap/face/head_pose.hpp"
#include "keyswap/face/masks.hpp"
#include "keyswap/face/mesh.hpp"

namespace keyswap::face {

// Requires: amount in [0, 1]. Ensures: amount 0 (or very different yaw) returns `target`.
Landmarks transfer_shape(const Landmarks& target, const Landmarks& source, float amount);
// The same through each face's head pose; falls back to the 2D form where a pose is not fitted.
// Ensures: amount 0 returns `target`.
Landmarks transfer_shape(const Landmarks& target, const HeadPose& target_pose, const Landmarks& source, const HeadPose& source_pose,
                         float amount);

// What of `shaped` a swap of this area may use: all of it for the whole face (less the mouth
// when the target's is kept), none for the partial areas, because moving a feature moves the
// pixels around it, which a partial swap promises to leave as they are.
Landmarks within_area(const Landmarks& shaped, const Landmarks& target, MaskArea area, bool keep_mouth);

// A face's landmarks on the generic head's frontal plane (eye distances): where on the head
// each one is, as its pose and the head's surface say. Per point: the image-from-plane
// Jacobian there, and how well the photo shows the point's position across the face: the
// surface's horizontal foreshortening (about 1 where it is seen squarely, toward 0 at a grazing
// angle; 0 for a silhouette, which is matched to another point of the head than its own).
struct Frontal {
    Landmarks points{};
    std::array<cv::Matx22f, kLandmarks> jacobian{};
    std::array<float, kLandmarks> across{};
};
Frontal frontalise(const Landmarks& l, const HeadPose& pose);

class ShapeWarp {
public:
    // Displacement field over a region of `size` that moves mesh `from` onto mesh `to` (both in
    // region pixels) and falls off smoothly with distance (scale `iod` px).
    void build(const Mesh& from, const Mesh& to, cv::Size size, float iod);
    // out(x) = in(x - d(x)): the region's pixels moved with the face. in, out CV_8UC3.
    void apply(const cv::Mat& in, cv::Mat& out) const;
    // CV_32F in [0, 1]: 1 where pixels moved by a quarter pixel or more.
    const cv::Mat& support() const { return support_; }

private:
    cv::Mat coarse_, coarse_support_, map_big_, support_big_;
    cv::Mat map_, support_;  // views of the enlarged ones, the region's size
};

}  // namespace keyswap::face
