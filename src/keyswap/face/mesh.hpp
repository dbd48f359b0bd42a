#pragma once
// The face mesh the swap warps over.
//
// What this represents: the 68 landmarks plus 10 forehead points (the brows raised along the
// face's vertical axis), because the 68-point layout stops at the brows and a swap without the
// forehead shows a seam across it. Triangles come from a Delaunay triangulation of a source
// face's mesh and are reused, by index, on every target mesh.
// Thread safety: pure functions.
#include <vector>

#include "keyswap/face/geometry.hpp"

namespace keyswap::face {

inline constexpr int kForeheadPoints = 10;  // above brow points 17..26
inline constexpr int kMeshPoints = kLandmarks + kForeheadPoints;
using Mesh = std::array<cv::Point2f, kMeshPoints>;

Mesh make_mesh(const Landmarks& l);

// Delaunay triangles over the mesh points as index triples (degenerate ones left out).
std::vector<cv::Vec3i> triangulate(const Mesh& m);

// The 68 landmarks a mesh was made from (its first points).
Landmarks landmarks_of(const Mesh& m);
// Mesh translated by -origin (into a region's pixels).
Mesh shifted(const Mesh& m, cv::Point2f origin);

}  // namespace keyswap::face
