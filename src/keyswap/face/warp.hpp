#pragma once
// Piecewise-affine warping of a source face onto a target mesh.
//
// What this represents: the inverse map of a triangle-by-triangle affine warp. For each pixel of
// the target region it gives the source pixel to sample, so one cv::remap produces the warped
// face and only the region's pixels are touched. Pixels outside every triangle take the global
// similarity between the meshes, so the map has no holes where the target's outline differs
// from the source's.
// Thread safety: `PiecewiseWarp` keeps its maps; one per swapper. Distinct instances are
// independent.
#include <initializer_list>
#include <vector>

#include "keyswap/face/mesh.hpp"
#include "keyswap/face/reprojection.hpp"

namespace keyswap::face {

class PiecewiseWarp {
public:
    // Requires: `dst` in region pixels (origin at the region's top-left), `src` in source-image
    // pixels, `tris` index triples into both. Ensures: map sized `size`.
    void build(const Mesh& dst, const Mesh& src, const std::vector<cv::Vec3i>& tris, cv::Size size);
    // The same from a dense mesh (reprojection.hpp): its triangles drawn in their order, so a
    // later (nearer) one covers an earlier; pixels outside all of them take the similarity
    // between the meshes `dst` (region pixels) and `src`.
    void build(const DenseMesh& dense, const Mesh& dst, const Mesh& src, cv::Size size);
    // Samples `source` (any type) through the map into `out` (bilinear).
    void apply(const cv::Mat& source, cv::Mat& out) const;

private:
    void fill_similarity(const Mesh& dst, const Mesh& src, cv::Size size);
    cv::Mat map_;  // CV_32FC2: source x, y per region pixel
};

// Interpolates one value per mesh point linearly over each triangle of `dst` (region pixels)
// into `out` (CV_32F, `size`); pixels outside every triangle get 0.
void render_vertex_field(const Mesh& dst, const std::vector<cv::Vec3i>& tris, const std::array<float, kMeshPoints>& values,
                         cv::Size size, cv::Mat& out);

// Each image's mirror through the face's own mesh (images of one size, any type): at each pixel,
// the same point of the face's other side. One warp for all of them.
std::vector<cv::Mat> mirror_through_mesh(std::initializer_list<cv::Mat> images, const Landmarks& landmarks,
                                         const Mesh& mesh, const std::vector<cv::Vec3i>& tris);

}  // namespace keyswap::face
