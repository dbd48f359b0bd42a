#include "keyswap/face/shape_transfer.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "keyswap/face/reprojection.hpp"
#include "keyswap/face/source_library.hpp"

namespace keyswap::face {

namespace {
// Yaw-ratio difference (see yaw_ratio) at which the transfer has faded out completely.
constexpr float kYawFade = 0.35f;

// A face's eye frame: origin between the eye centres, x along the eyes, unit = eye distance.
struct EyeFrame {
    cv::Point2f o, ex, ey;
    float iod;
    explicit EyeFrame(const Landmarks& l) {
        const cv::Point2f a = left_eye(l), b = right_eye(l);
        o = (a + b) * 0.5f;
        iod = std::max(1.0f, static_cast<float>(cv::norm(b - a)));
        ex = (b - a) * (1.0f / iod);
        ey = {-ex.y, ex.x};
    }
    cv::Point2f to(cv::Point2f p) const { return {(p - o).dot(ex) / iod, (p - o).dot(ey) / iod}; }
    cv::Point2f from(cv::Point2f q) const { return o + (ex * q.x + ey * q.y) * iod; }
};

cv::Point2f centroid(const Landmarks& l, int first, int last) {
    cv::Point2f c(0, 0);
    for (int i = first; i <= last; ++i) c += l[i];
    return c * (1.0f / static_cast<float>(last - first + 1));
}
float width(const Landmarks& l, int a, int b) { return std::abs(l[b].x - l[a].x); }

// The proportion rules, on two faces seen the same way (both frontal, or both in a 2D photo
// where their poses agree): position, scale and roll stay the target's.
Landmarks blend_proportions(const Landmarks& target, const Landmarks& source, float a) {
    const EyeFrame ft(target), fs(source);
    Landmarks t, s, out;
    for (int i = 0; i < kLandmarks; ++i) t[i] = ft.to(target[i]), s[i] = fs.to(source[i]);
    out = t;
    // The chin follows the target's mouth: compare jaws as if both mouths were equally open.
    const float open = (t[66].y - t[62].y) - (s[66].y - s[62].y);
    const float mouth_v = s[62].y, chin_v = std::max(s[8].y, mouth_v + 1e-3f);
    for (int i = 0; i <= 16; ++i) {
        const float w = std::clamp((s[i].y - mouth_v) / (chin_v - mouth_v), 0.0f, 1.0f);
        const cv::Point2f goal(s[i].x, s[i].y + open * w);
        out[i] = t[i] + (goal - t[i]) * a;
    }
    // Nose: its own shape (length, width), point by point.
    for (int i = 27; i <= 35; ++i) out[i] = t[i] + (s[i] - t[i]) * a;
    // Eyes: width about their centre (openness is expression and stays the target's).
    for (auto [first, last, c0, c1] : {std::array{36, 41, 36, 39}, std::array{42, 47, 42, 45}}) {
        const cv::Point2f ct = centroid(t, first, last), cs = centroid(s, first, last);
        const float k = 1.0f + a * (width(s, c0, c1) / std::max(1e-3f, width(t, c0, c1)) - 1.0f);
        const cv::Point2f shift = (cs - ct) * a;
        for (int i = first; i <= last; ++i) out[i] = {ct.x + (t[i].x - ct.x) * k + shift.x, t[i].y + shift.y};
    }
    // Brows and mouth: moved as a whole (their shape is expression).
    for (auto [first, last] : {std::pair{17, 21}, std::pair{22, 26}, std::pair{48, 67}}) {
        const cv::Point2f shift = (centroid(s, first, last) - centroid(t, first, last)) * a;
        for (int i = first; i <= last; ++i) out[i] = t[i] + shift;
    }
    for (int i = 0; i < kLandmarks; ++i) out[i] = ft.from(out[i]);
    return out;
}

// d(image point) / d(model-plane point) where the head's surface shows model point `m`.
cv::Matx22f surface_jacobian(const HeadPose& pose, cv::Point2f m) {
    constexpr float h = 0.01f;  // eye distances
    const auto at = [&](cv::Point2f q) { return project(pose, {q.x, q.y, head_depth(q)}); };
    const cv::Point2f dx = (at(m + cv::Point2f(h, 0)) - at(m - cv::Point2f(h, 0))) * (0.5f / h);
    const cv::Point2f dy = (at(m + cv::Point2f(0, h)) - at(m - cv::Point2f(0, h))) * (0.5f / h);
    return {dx.x, dy.x, dx.y, dy.y};
}
}  // namespace

Frontal frontalise(const Landmarks& l, const HeadPose& pose) {
    Frontal f;
    const HeadFit fit = fit_head(make_mesh(l), pose);
    const auto& head = mean_head();
    for (int i = 0; i < kLandmarks; ++i) {
        const cv::Matx22f j = surface_jacobian(pose, fit.model[i]);
        // px per eye distance where the surface faces the camera; the regulariser keeps a
        // point seen edge on (whose offset says nothing about its x on the head) near the head.
        const float sx = std::hypot(j(0, 0), j(1, 0)), sy = std::hypot(j(0, 1), j(1, 1));
        const float lambda = 1e-4f * sy * sy;
        const cv::Matx22f jt = j.t();
        const cv::Vec2f d = (jt * j + cv::Matx22f(lambda, 0, 0, lambda)).solve(jt * cv::Vec2f(fit.offset[i].x, fit.offset[i].y), cv::DECOMP_LU);
        f.points[i] = fit.model[i] + cv::Point2f(d[0], d[1]);
        f.jacobian[i] = j;
        // A silhouette (matched to another model point than its own) or a surface seen at a
        // grazing angle shows little of where the point is across the face.
        const bool slid = std::abs(fit.model[i].x - head[i].x) > 1e-4f;
        f.across[i] = slid ? 0.0f : sx / std::max(1e-6f, sy);
    }
    return f;
}

Landmarks transfer_shape(const Landmarks& target, const Landmarks& source, float amount) {
    const float a = amount * std::clamp(1.0f - std::abs(yaw_ratio(target) - yaw_ratio(source)) / kYawFade, 0.0f, 1.0f);
    if (a <= 0.0f) return target;
    return blend_proportions(target, source, a);
}

Landmarks transfer_shape(const Landmarks& target, const HeadPose& target_pose, const Landmarks& source, const HeadPose& source_pose,
                         float amount) {
    if (amount <= 0.0f) return target;
    if (!target_pose.fitted || !source_pose.fitted) return transfer_shape(target, source, amount);
    // Where the two faces are turned alike, their photos compare directly and the 2D rules need
    // no head model (whose generic depth is only an approximation of this person's); as the
    // poses part, the comparison on the head's frontal plane takes over.
    const float flat = std::clamp(1.0f - std::abs(yaw_ratio(target) - yaw_ratio(source)) / kYawFade, 0.0f, 1.0f);
    if (flat >= 1.0f) return blend_proportions(target, source, amount);
    const Frontal ft = frontalise(target, target_pose);
    Frontal fs = frontalise(source, source_pose);
    // What the source photo does not show squarely (the far side of a turned head) is taken
    // from the side it shows, reflected about the face's midline: faces are nearly symmetric.
    const float mid = 0.5f * (left_eye(fs.points).x + right_eye(fs.points).x);
    Landmarks s = fs.points;
    for (int i = 0; i < kLandmarks; ++i) {
        const int k = kMirrorLandmarks[i];
        const float c = fs.across[i], ck = fs.across[k];
        if (ck <= c) continue;
        // Both sides of a frontal face are seen alike (even the outline, where the head curves
        // away): reflect only where this point is seen much worse than its partner.
        const float w = std::clamp((0.75f - c / ck) / 0.5f, 0.0f, 1.0f);
        const cv::Point2f reflected(2 * mid - fs.points[k].x, fs.points[k].y);
        s[i] = fs.points[i] * (1 - w) + reflected * w;
    }
    const Landmarks goal = blend_proportions(ft.points, s, amount);
    // Moves on the head's surface, seen from the target's pose: across a turned face they are
    // foreshortened as the face is, and a silhouette does not move sideways.
    const Landmarks flat_out = flat > 0.0f ? blend_proportions(target, source, amount) : target;
    Landmarks out = target;
    for (int i = 0; i < kLandmarks; ++i) {
        const cv::Point2f d = goal[i] - ft.points[i];
        const cv::Vec2f m = ft.jacobian[i] * cv::Vec2f(d.x, d.y);
        out[i] = (target[i] + cv::Point2f(m[0], m[1])) * (1.0f - flat) + flat_out[i] * flat;
    }
    // A degenerate fit (a face a few pixels wide, landmarks on a line) must not throw the mesh
    // away: keep the target's shape then.
    const float reach = 2.0f * inter_ocular(target);
    for (int i = 0; i < kLandmarks; ++i)
        if (!std::isfinite(out[i].x) || !std::isfinite(out[i].y) || cv::norm(out[i] - target[i]) > reach) return target;
    return out;
}

Landmarks within_area(const Landmarks& shaped, const Landmarks& target, MaskArea area, bool keep_mouth) {
    if (area != MaskArea::Face) return target;
    Landmarks out = shaped;
    if (keep_mouth)
        for (int i = 48; i < kLandmarks; ++i) out[i] = target[i];
    return out;
}

void ShapeWarp::build(const Mesh& from, const Mesh& to, cv::Size size, float iod) {
    // Normalised Gaussian weights of the mesh points' displacements, plus a constant "no
    // motion" weight, so the field is the points' motion near the face and falls to zero
    // about an eye distance away. Computed on a coarse grid (it is smooth) and enlarged.
    const float sigma = 0.3f * iod, inv2s2 = 1.0f / (2 * sigma * sigma);
    const float still = std::exp(-0.8f * 0.8f * iod * iod * inv2s2);
    // Points beyond 3.5 sigma weigh under 0.3 % of the "still" weight: left out.
    const float reach2 = 3.5f * 3.5f * sigma * sigma;
    // Three grid steps per sigma: the field is a sum of Gaussians, smooth at that spacing.
    const int step = std::max(2, static_cast<int>(sigma / 3));

    // Coarse sample (gx, gy) sits where an INTER_LINEAR enlargement by `step` puts it, so the
    // enlarged field is the points' field, not one shifted by half a step.
    const float centre = 0.5f * static_cast<float>(step - 1);
    const cv::Size cs((size.width + step - 1) / step, (size.height + step - 1) / step);
    coarse_.create(cs, CV_32FC2);
    coarse_support_.create(cs, CV_32F);
    for (int gy = 0; gy < cs.height; ++gy) {
        auto* row = coarse_.ptr<cv::Vec2f>(gy);
        float* srow = coarse_support_.ptr<float>(gy);
        for (int gx = 0; gx < cs.width; ++gx) {
            const cv::Point2f p(static_cast<float>(gx * step) + centre, static_cast<float>(gy * step) + centre);
            float sw = still, dx = 0, dy = 0;
            for (int i = 0; i < kMeshPoints; ++i) {
                const cv::Point2f q = to[i] - p;
                const float d2 = q.x * q.x + q.y * q.y;
                if (d2 > reach2) continue;
                const float w = std::exp(-d2 * inv2s2);
                sw += w;
                dx += w * (to[i].x - from[i].x);
                dy += w * (to[i].y - from[i].y);
            }
            dx /= sw, dy /= sw;
            // The map holds where each pixel is read from: linear in the displacement, so it is
            // enlarged as it is (no per-pixel pass at full size).
            row[gx] = {p.x - dx, p.y - dy};
            srow[gx] = std::min(1.0f, 4.0f * std::sqrt(dx * dx + dy * dy));
        }
    }
    const cv::Size big(cs.width * step, cs.height * step);
    const cv::Rect inside(0, 0, size.width, size.height);
    cv::resize(coarse_, map_big_, big, 0, 0, cv::INTER_LINEAR);
    cv::resize(coarse_support_, support_big_, big, 0, 0, cv::INTER_LINEAR);
    map_ = map_big_(inside);
    support_ = support_big_(inside);
}

void ShapeWarp::apply(const cv::Mat& in, cv::Mat& out) const {
    cv::remap(in, out, map_, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
}

}  // namespace keyswap::face
