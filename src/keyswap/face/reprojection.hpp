#pragma once
// Re-projecting the source's texture through a 3D head into the target's pose.
//
// What this represents: a flat mesh warp stretches each source triangle onto the target's as a
// plane, so when the two heads are turned differently a round cheek is squeezed or stretched
// evenly, and on a turned target the far side's outline (where the cheek, not the jaw, meets
// the background) is matched to the source's jaw: the whole far half of the source face is
// pressed into what the target shows of it. Here every face is seen through the generic head
// (head_pose.hpp): a point of the head's frontal plane ("model point") lands in a photo where
// the face's pose projects the head's curved surface, plus a smooth per-face offset that makes
// its landmarks land exactly on the detected ones (identity and expression live in that
// offset). A jaw landmark on the far side of a turned face is a silhouette: it is matched to
// the head's outermost visible point on that row, not to the jaw behind it.
//
// The source side is a table over the model plane of where each model point is in the source
// photo (`SourceAtlas`, once per photo); the target side is the target's mesh subdivided and
// projected per frame (`reprojected_mesh`), drawn far before near, so the nose hides the cheek
// behind it and the source pixel for every target pixel is the one showing the same point of
// the head. Where the source photo does not show a model point (turned away), the atlas holds
// the nearest one it shows, and the symmetry fill (face_swapper) takes over.
// Thread safety: values and pure functions; an atlas is immutable after build.
#include <vector>

#include "keyswap/face/head_pose.hpp"

namespace keyswap::face {

// A face seen through the generic head: per mesh point the model point it shows, and the image
// offset from the head's projection of that point to the landmark.
struct HeadFit {
    HeadPose pose;
    std::array<cv::Point2f, kMeshPoints> model{};
    std::array<cv::Point2f, kMeshPoints> offset{};
};

// `mesh` and `pose` in the same image's pixels.
HeadFit fit_head(const Mesh& mesh, const HeadPose& pose);

// Where the fitted face shows model point `m`, given the offset interpolated for it.
cv::Point2f place(const HeadFit& fit, cv::Point2f m, cv::Point2f offset);

class SourceAtlas {
public:
    // Source photo pixels of each model point inside the face's mesh (`tris` over `fit.model`);
    // points the photo does not show take the nearest shown one.
    void build(const HeadFit& fit, const std::vector<cv::Vec3i>& tris);
    bool empty() const { return table_.empty(); }
    cv::Point2f at(cv::Point2f m) const;  // bilinear

private:
    cv::Mat table_;  // CV_32FC2 over the model plane
};

// The target's mesh subdivided for the warp: points in target pixels and their source pixels,
// and triangles to draw in order (far first; those facing away from the camera left out).
struct DenseMesh {
    std::vector<cv::Point2f> target, source;
    std::vector<cv::Vec3i> triangles;
};

// `target` is in the same pixels as `fit.pose` was fitted in, minus `origin` (a region's
// top-left): the dense points are returned in the region's pixels.
void reprojected_mesh(const HeadFit& target, cv::Point2f origin, const SourceAtlas& source, const std::vector<cv::Vec3i>& tris,
                      DenseMesh& out);

}  // namespace keyswap::face
