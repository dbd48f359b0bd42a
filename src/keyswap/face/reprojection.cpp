#include "keyswap/face/reprojection.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "keyswap/face/model_plane.hpp"
#include "keyswap/face/raster.hpp"

namespace keyswap::face {

namespace {
// How far in from its jaw point a far-side outline point may be matched (a fraction of the
// point's distance from the face's midline), and in how many steps that is searched.
constexpr float kSilhouetteReach = 0.6f;
constexpr int kSilhouetteSteps = 24;
// Each mesh triangle is cut into kSplit x kSplit smaller ones: enough that the curved surface's
// projection is followed to about a pixel on a 1080p face, few enough to cost nothing.
constexpr int kSplit = 4;
// The atlas's model-plane grid (eye distances): the mesh's extent with a margin.
constexpr ModelPlane kPlane{-1.5f, -1.4f, 1.0f / 48.0f, 145, 183};

cv::Point3f on_head(cv::Point2f m) { return {m.x, m.y, head_depth(m)}; }

float cross(cv::Point2f a, cv::Point2f b, cv::Point2f c) { return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x); }

// The outline points that can be silhouettes (jaw, brow ends), and per point how far in its
// match may go: not past the eyes, nose or mouth on its row (their |x| + a margin, on the
// generic head), which would fold the mesh, nor more than kSilhouetteReach of the way in.
struct Outline {
    std::vector<int> points;
    std::array<float, kMeshPoints> limit{};
    Outline() {
        const auto& h = mean_head();
        for (int i = 0; i <= 16; ++i)
            if (i != 8) points.push_back(i);
        points.push_back(17);
        points.push_back(26);
        for (int i : points) {
            float inner = 0;
            for (int j = 27; j <= 67; ++j)
                if (std::abs(h[j].y - h[i].y) < 0.3f) inner = std::max(inner, std::abs(h[j].x));
            limit[i] = std::max(inner + 0.06f, (1.0f - kSilhouetteReach) * std::abs(h[i].x));
        }
    }
};

}  // namespace

HeadFit fit_head(const Mesh& mesh, const HeadPose& pose) {
    static const Outline outline;
    HeadFit f;
    f.pose = pose;
    const auto& head = mean_head();
    for (int i = 0; i < kMeshPoints; ++i) f.model[i] = {head[i].x, head[i].y};
    if (pose.fitted) {
        // The image direction of the head's own x axis: "outward" for the outline's points.
        cv::Point2f ax(static_cast<float>(pose.rotation(0, 0)), static_cast<float>(pose.rotation(1, 0)));
        ax *= 1.0f / std::max(1e-6f, static_cast<float>(cv::norm(ax)));
        for (int i : outline.points) {
            const cv::Point2f edge = f.model[i];
            const float side = edge.x < 0 ? -1.0f : 1.0f;
            const cv::Point2f mid = project(pose, on_head({0.0f, edge.y}));
            float best = -1e30f, best_x = edge.x;
            for (int k = 0; k <= kSilhouetteSteps; ++k) {
                const float x = edge.x + (side * outline.limit[i] - edge.x) * static_cast<float>(k) / kSilhouetteSteps;
                const float d = (project(pose, on_head({x, edge.y})) - mid).dot(ax * side);
                if (d > best + 1e-4f) best = d, best_x = x;
            }
            f.model[i].x = best_x;
        }
    }
    for (int i = 0; i < kMeshPoints; ++i) f.offset[i] = mesh[i] - project(pose, on_head(f.model[i]));
    return f;
}

cv::Point2f place(const HeadFit& fit, cv::Point2f m, cv::Point2f offset) { return project(fit.pose, on_head(m)) + offset; }

void SourceAtlas::build(const HeadFit& fit, const std::vector<cv::Vec3i>& tris) {
    table_.create(kPlane.size(), CV_32FC2);
    cv::Mat missing(kPlane.size(), CV_8U, cv::Scalar(255));
    for (const cv::Vec3i& t : tris) {
        const cv::Point2f ga = kPlane.cell(fit.model[t[0]]), gb = kPlane.cell(fit.model[t[1]]), gc = kPlane.cell(fit.model[t[2]]);
        raster_triangle(ga, gb, gc, kPlane.size(), [&](int y, int x, float l0, float l1, float l2) {
            const cv::Point2f off = fit.offset[t[0]] * l0 + fit.offset[t[1]] * l1 + fit.offset[t[2]] * l2;
            const cv::Point2f s = place(fit, kPlane.model(x, y), off);
            table_.at<cv::Vec2f>(y, x) = {s.x, s.y};
            missing.at<std::uint8_t>(y, x) = 0;
        });
    }
    // Model points the photo does not show take the nearest shown one's pixel.
    fill_from_nearest(table_, missing);
}

cv::Point2f SourceAtlas::at(cv::Point2f m) const {
    const cv::Vec2f v = sample<cv::Vec2f>(table_, kPlane, m);
    return {v[0], v[1]};
}

void reprojected_mesh(const HeadFit& target, cv::Point2f origin, const SourceAtlas& source, const std::vector<cv::Vec3i>& tris,
                      DenseMesh& out) {
    out.target.clear();
    out.source.clear();
    out.triangles.clear();
    std::vector<double> depth;
    std::vector<double> tri_depth;
    const auto& head = mean_head();
    for (const cv::Vec3i& t : tris) {
        // Which way round the triangle is on a frontal head: a sub-triangle turned the other way
        // in the image faces away from the camera (or was folded by the silhouette), so is hidden.
        const float facing = cross({head[t[0]].x, head[t[0]].y}, {head[t[1]].x, head[t[1]].y}, {head[t[2]].x, head[t[2]].y});
        const int base = static_cast<int>(out.target.size());
        auto node = [&](int i, int j) {  // i steps toward t[1], j toward t[2]; row-major in i
            int k = 0;
            for (int r = 0; r < i; ++r) k += kSplit + 1 - r;
            return base + k + j;
        };
        for (int i = 0; i <= kSplit; ++i)
            for (int j = 0; i + j <= kSplit; ++j) {
                const float wb = static_cast<float>(i) / kSplit, wc = static_cast<float>(j) / kSplit, wa = 1.0f - wb - wc;
                const cv::Point2f m = target.model[t[0]] * wa + target.model[t[1]] * wb + target.model[t[2]] * wc;
                const cv::Point2f off = target.offset[t[0]] * wa + target.offset[t[1]] * wb + target.offset[t[2]] * wc;
                out.target.push_back(place(target, m, off) - origin);
                out.source.push_back(source.at(m));
                depth.push_back(camera_depth(target.pose, on_head(m)));
            }
        auto add = [&](int a, int b, int c) {
            if (cross(out.target[a], out.target[b], out.target[c]) * facing <= 0) return;
            out.triangles.push_back({a, b, c});
            tri_depth.push_back(depth[a] + depth[b] + depth[c]);
        };
        for (int i = 0; i < kSplit; ++i)
            for (int j = 0; i + j < kSplit; ++j) {
                add(node(i, j), node(i + 1, j), node(i, j + 1));
                if (i + j + 2 <= kSplit) add(node(i + 1, j), node(i + 1, j + 1), node(i, j + 1));
            }
    }
    // Far first, so what is nearer the camera (the nose before the far cheek) is drawn last.
    std::vector<int> order(out.triangles.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return tri_depth[a] > tri_depth[b]; });
    std::vector<cv::Vec3i> sorted;
    sorted.reserve(order.size());
    for (int i : order) sorted.push_back(out.triangles[i]);
    out.triangles.swap(sorted);
}

}  // namespace keyswap::face
