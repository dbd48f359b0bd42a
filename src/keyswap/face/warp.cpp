#include "keyswap/face/warp.hpp"

#include <opencv2/imgproc.hpp>

#include "keyswap/face/geometry.hpp"
#include "keyswap/face/raster.hpp"

namespace keyswap::face {

// Background: the best single similarity, so uncovered pixels still land on the face.
void PiecewiseWarp::fill_similarity(const Mesh& dst, const Mesh& src, cv::Size size) {
    map_.create(size, CV_32FC2);
    const cv::Mat g = similarity_fit(dst, src);
    const double* r0 = g.ptr<double>(0);
    const double* r1 = g.ptr<double>(1);
    for (int y = 0; y < size.height; ++y) {
        auto* row = map_.ptr<cv::Vec2f>(y);
        for (int x = 0; x < size.width; ++x)
            row[x] = {static_cast<float>(r0[0] * x + r0[1] * y + r0[2]), static_cast<float>(r1[0] * x + r1[1] * y + r1[2])};
    }
}

void PiecewiseWarp::build(const DenseMesh& dense, const Mesh& dst, const Mesh& src, cv::Size size) {
    fill_similarity(dst, src, size);
    for (const auto& t : dense.triangles) {
        const cv::Point2f sa = dense.source[t[0]], sb = dense.source[t[1]], sc = dense.source[t[2]];
        raster_triangle(dense.target[t[0]], dense.target[t[1]], dense.target[t[2]], size, [&](int y, int x, float l0, float l1, float l2) {
            map_.at<cv::Vec2f>(y, x) = {l0 * sa.x + l1 * sb.x + l2 * sc.x, l0 * sa.y + l1 * sb.y + l2 * sc.y};
        });
    }
}

void PiecewiseWarp::build(const Mesh& dst, const Mesh& src, const std::vector<cv::Vec3i>& tris, cv::Size size) {
    fill_similarity(dst, src, size);
    for (const auto& t : tris) {
        const cv::Point2f sa = src[t[0]], sb = src[t[1]], sc = src[t[2]];
        raster_triangle(dst[t[0]], dst[t[1]], dst[t[2]], size, [&](int y, int x, float l0, float l1, float l2) {
            map_.at<cv::Vec2f>(y, x) = {l0 * sa.x + l1 * sb.x + l2 * sc.x, l0 * sa.y + l1 * sb.y + l2 * sc.y};
        });
    }
}

void render_vertex_field(const Mesh& dst, const std::vector<cv::Vec3i>& tris, const std::array<float, kMeshPoints>& values,
                         cv::Size size, cv::Mat& out) {
    out.create(size, CV_32F);
    out.setTo(0);
    for (const auto& t : tris) {
        const float va = values[t[0]], vb = values[t[1]], vc = values[t[2]];
        raster_triangle(dst[t[0]], dst[t[1]], dst[t[2]], size,
                        [&](int y, int x, float l0, float l1, float l2) { out.at<float>(y, x) = l0 * va + l1 * vb + l2 * vc; });
    }
}

void PiecewiseWarp::apply(const cv::Mat& source, cv::Mat& out) const {
    cv::remap(source, out, map_, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
}

std::vector<cv::Mat> mirror_through_mesh(std::initializer_list<cv::Mat> images, const Landmarks& landmarks,
                                         const Mesh& mesh, const std::vector<cv::Vec3i>& tris) {
    std::vector<cv::Mat> out;
    if (images.size() == 0) return out;
    const cv::Size size = images.begin()->size();
    PiecewiseWarp warp;
    warp.build(mesh, make_mesh(mirrored(landmarks, static_cast<float>(size.width - 1))), tris, size);
    for (const cv::Mat& image : images) {
        cv::Mat flipped;
        cv::flip(image, flipped, 1);
        warp.apply(flipped, out.emplace_back());
    }
    return out;
}

}  // namespace keyswap::face
