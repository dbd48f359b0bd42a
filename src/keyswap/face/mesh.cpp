#include "keyswap/face/mesh.hpp"

#include <opencv2/imgproc.hpp>

namespace keyswap::face {

namespace {
// Forehead height above the brows as a fraction of the brow-to-chin distance: high enough to
// cover the forehead, low enough to stay under most hairlines.
constexpr float kForehead = 0.28f;
}  // namespace

Mesh make_mesh(const Landmarks& l) {
    Mesh m{};
    std::copy(l.begin(), l.end(), m.begin());
    cv::Point2f brow(0, 0);
    for (int i = 17; i <= 26; ++i) brow += l[i];
    brow *= 1.0f / 10.0f;
    const cv::Point2f up = brow - l[8];  // chin to brows: the face's vertical axis, scaled
    for (int i = 0; i < kForeheadPoints; ++i) {
        // Outer brow points rise less so the forehead's outline follows the skull's curve.
        const float t = std::abs(i - 4.5f) / 4.5f;
        m[kLandmarks + i] = l[17 + i] + up * (kForehead * (1.0f - 0.35f * t * t));
    }
    return m;
}

std::vector<cv::Vec3i> triangulate(const Mesh& m) {
    const cv::Rect2f b = bounds(m);
    cv::Subdiv2D sub(cv::Rect(static_cast<int>(b.x) - 2, static_cast<int>(b.y) - 2, static_cast<int>(b.width) + 5,
                              static_cast<int>(b.height) + 5));
    for (auto& p : m) sub.insert(p);
    std::vector<cv::Vec6f> tris;
    sub.getTriangleList(tris);
    auto index_of = [&](float x, float y) {
        int best = -1;
        float bd = 0.5f;
        for (int i = 0; i < kMeshPoints; ++i) {
            const float d = std::abs(m[i].x - x) + std::abs(m[i].y - y);
            if (d < bd) bd = d, best = i;
        }
        return best;
    };
    std::vector<cv::Vec3i> out;
    for (auto& t : tris) {
        const int a = index_of(t[0], t[1]), b2 = index_of(t[2], t[3]), c = index_of(t[4], t[5]);
        if (a < 0 || b2 < 0 || c < 0 || a == b2 || b2 == c || a == c) continue;  // Subdiv2D's outer vertices
        out.push_back({a, b2, c});
    }
    return out;
}

Mesh shifted(const Mesh& m, cv::Point2f origin) {
    Mesh out;
    for (int i = 0; i < kMeshPoints; ++i) out[i] = m[i] - origin;
    return out;
}

Landmarks landmarks_of(const Mesh& m) {
    Landmarks l;
    std::copy(m.begin(), m.begin() + kLandmarks, l.begin());
    return l;
}

}  // namespace keyswap::face
