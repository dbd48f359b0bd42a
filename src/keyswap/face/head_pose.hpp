#pragma once
// Head pose from the 68 landmarks, on a generic 3D head.
//
// What this represents: a mean 3D face (the 68 landmarks plus the mesh's forehead points, in
// eye distances: x to the image's right, y down, z away from the camera, so a frontal face's
// nose points to -z) and the rigid pose that projects it best onto a face's landmarks
// (cv::solvePnP on the anatomically fixed points: brows, eyes, nose, mouth corners, chin; the
// jaw outline is left out because its landmarks slide along the silhouette as the head turns).
// The camera is a pinhole at a typical portrait distance (12 eye distances), centred on the
// face, so the pose does not depend on where the face sits in its picture or on the crop.
// `visibility` says, per mesh point, how squarely the surface there faces the camera (1 = head
// on, 0 = edge on or turned away): how many source pixels a swap has per unit of face there.
// Thread safety: pure functions over constant tables.
#include <array>

#include "keyswap/face/mesh.hpp"

namespace keyswap::face {

struct HeadPose {
    cv::Matx33d rotation = cv::Matx33d::eye();  // model to camera
    cv::Vec3d translation{0, 0, 12};            // in eye distances
    double yaw = 0;    // degrees, + = nose toward the image's right
    double pitch = 0;  // degrees, + = looking up
    double roll = 0;   // degrees, + = clockwise in the image
    bool fitted = false;  // false: the fit failed and this is the frontal default
    double focal = 1;           // the camera the pose was fitted with: focal length in px,
    cv::Point2d centre{0, 0};   // and principal point (the face's centre) in image pixels
};

// The generic head's points, in eye distances (the eyes' midpoint at the origin).
const std::array<cv::Point3f, kMeshPoints>& mean_head();

// Fits the generic head to `l` (image pixels). Never throws; see `fitted`.
HeadPose estimate_pose(const Landmarks& l);

// Per mesh point, max(0, cosine between the surface normal and the direction to the camera).
std::array<float, kMeshPoints> visibility(const HeadPose& pose);

// Depth (z, eye distances, + = away from the camera) of the generic head's surface at a point
// of its frontal plane. At the mesh points it is their depth; between them, the flat
// triangles' depth plus how far a round head bulges ahead of the flat chord there (an
// ellipsoid through the face's outline): cheeks are round, and a turned head shows it.
float head_depth(cv::Point2f model);

// Where `pose` puts a point of the head (model coordinates) in its image.
cv::Point2f project(const HeadPose& pose, const cv::Point3f& model);
// Its distance from the camera along the view axis (for drawing far before near).
double camera_depth(const HeadPose& pose, const cv::Point3f& model);

// For drawing the pose: the generic head's nose tip and the tips of x, y, z axes (0.8 eye
// distances long) from it, projected into the image the pose was fitted in.
std::array<cv::Point2f, 4> axis_points(const HeadPose& pose);

}  // namespace keyswap::face
