#include "keyswap/face/head_pose.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/calib3d.hpp>

#include "keyswap/face/model_plane.hpp"
#include "keyswap/face/raster.hpp"

namespace keyswap::face {

namespace {

// Mean frontal layout (x, y in eye distances), from bench/mean_face over 20 near-frontal faces
// of varied people (../shared/assets/faces, dlib's example faces), made symmetric.
constexpr float kMeanXY[kLandmarks][2] = {
    {-1.121f, 0.051f}, {-1.106f, 0.356f}, {-1.077f, 0.659f}, {-1.036f, 0.963f}, {-0.938f, 1.250f}, {-0.768f, 1.503f},
    {-0.551f, 1.720f}, {-0.298f, 1.896f}, {0.000f, 1.949f},  {0.298f, 1.896f},  {0.551f, 1.720f},  {0.768f, 1.503f},
    {0.938f, 1.250f},  {1.036f, 0.963f},  {1.077f, 0.659f},  {1.106f, 0.356f},  {1.121f, 0.051f},  {-0.926f, -0.116f},
    {-0.798f, -0.264f}, {-0.598f, -0.316f}, {-0.388f, -0.301f}, {-0.188f, -0.230f}, {0.188f, -0.230f}, {0.388f, -0.301f},
    {0.598f, -0.316f}, {0.798f, -0.264f}, {0.926f, -0.116f}, {0.000f, -0.037f}, {0.000f, 0.156f},  {0.000f, 0.347f},
    {0.000f, 0.548f},  {-0.247f, 0.674f}, {-0.129f, 0.712f}, {0.000f, 0.750f},  {0.129f, 0.712f},  {0.247f, 0.674f},
    {-0.687f, 0.011f}, {-0.569f, -0.060f}, {-0.430f, -0.061f}, {-0.305f, 0.023f}, {-0.437f, 0.042f}, {-0.572f, 0.045f},
    {0.305f, 0.023f},  {0.430f, -0.061f}, {0.569f, -0.060f}, {0.687f, 0.011f},  {0.572f, 0.045f},  {0.437f, 0.042f},
    {-0.493f, 1.049f}, {-0.314f, 0.990f}, {-0.136f, 0.964f}, {0.000f, 0.993f},  {0.136f, 0.964f},  {0.314f, 0.990f},
    {0.493f, 1.049f},  {0.322f, 1.224f},  {0.145f, 1.301f},  {0.000f, 1.318f},  {-0.145f, 1.301f}, {-0.322f, 1.224f},
    {-0.429f, 1.059f}, {-0.138f, 1.048f}, {0.000f, 1.066f},  {0.138f, 1.048f},  {0.429f, 1.059f},  {0.141f, 1.163f},
    {0.000f, 1.183f},  {-0.141f, 1.163f}};

// Depth toward the camera (eye distances, the inner eye corners at 0), from average adult
// facial anthropometry (eye distance ~62 mm): the nose tip ~31 mm ahead, the outer eye corners
// ~12 mm and the face's outline at eye level ~60 mm behind. Only the image-left half is listed;
// the right half mirrors it.
constexpr float kDepthLeft[kLandmarks] = {
    -1.00f, -0.95f, -0.85f, -0.72f, -0.55f, -0.36f, -0.17f, -0.03f, 0.05f,  // jaw 0..8
    0, 0, 0, 0, 0, 0, 0, 0,                                                 // (right jaw: mirrored)
    -0.28f, -0.15f, -0.07f, 0.0f, 0.05f,                                    // brows 17..21
    0, 0, 0, 0, 0,                                                          // (right brow)
    0.12f, 0.22f, 0.35f, 0.50f,                                             // nose bridge 27..30
    0.12f, 0.25f, 0.30f,                                                    // nostrils 31..33
    0, 0,                                                                   // (34, 35)
    -0.20f, -0.05f, 0.02f, 0.0f, 0.0f, -0.07f,                              // left eye 36..41
    0, 0, 0, 0, 0, 0,                                                       // (right eye)
    -0.05f, 0.12f, 0.20f, 0.22f,                                            // upper lip 48..51
    0, 0, 0,                                                                // (52..54)
    0, 0, 0.20f, 0.17f, 0.10f,                                              // lower lip 57..59 (55, 56 mirrored)
    -0.02f, 0.15f, 0.17f,                                                   // inner lips 60..62
    0, 0, 0,                                                                // (63..65)
    0.16f, 0.14f};                                                          // 66, 67

// Points the pose is fitted on: brows, nose, eyes, mouth corners and the chin.
constexpr std::array<int, 36> kRigid = {17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
                                        35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 54, 8, 51, 57};

constexpr double kDistance = 12.0;  // camera distance, eye distances (about 75 cm)

std::array<cv::Point3f, kMeshPoints> build_head() {
    std::array<cv::Point3f, kMeshPoints> h{};
    for (int i = 0; i < kLandmarks; ++i) {
        // The image-right half takes its mirror point's depth.
        const float toward = kMeanXY[i][0] > 0 ? kDepthLeft[kMirrorLandmarks[i]] : kDepthLeft[i];
        h[i] = {kMeanXY[i][0], kMeanXY[i][1], -toward};
    }
    // The forehead points as make_mesh builds them, sloping back as the forehead does.
    Landmarks flat{};
    for (int i = 0; i < kLandmarks; ++i) flat[i] = {h[i].x, h[i].y};
    const Mesh m = make_mesh(flat);
    for (int i = 0; i < kForeheadPoints; ++i) {
        const cv::Point3f& brow = h[17 + i];
        const float t = std::abs(i - 4.5f) / 4.5f;
        h[kLandmarks + i] = {m[kLandmarks + i].x, m[kLandmarks + i].y, brow.z + 0.08f + 0.15f * t * t};
    }
    return h;
}

// Outward unit normals per mesh point: area-weighted sums of the normals of the triangles
// around it (the generic head's own triangulation, facing the camera at the front).
std::array<cv::Vec3f, kMeshPoints> build_normals(const std::array<cv::Point3f, kMeshPoints>& h) {
    Mesh flat{};
    for (int i = 0; i < kMeshPoints; ++i) flat[i] = {h[i].x * 100.0f, h[i].y * 100.0f};
    std::array<cv::Vec3f, kMeshPoints> n{};
    for (const cv::Vec3i& t : triangulate(flat)) {
        const cv::Vec3f a(h[t[0]].x, h[t[0]].y, h[t[0]].z), b(h[t[1]].x, h[t[1]].y, h[t[1]].z), c(h[t[2]].x, h[t[2]].y, h[t[2]].z);
        cv::Vec3f f = (b - a).cross(c - a);
        if (f[2] > 0) f = -f;  // toward the camera (-z)
        for (int k = 0; k < 3; ++k) n[t[k]] += f;
    }
    for (auto& v : n) {
        const float len = static_cast<float>(cv::norm(v));
        v = len > 0 ? v / len : cv::Vec3f(0, 0, -1);
    }
    return n;
}

const std::array<cv::Vec3f, kMeshPoints>& head_normals() {
    static const auto n = build_normals(mean_head());
    return n;
}

// The round head behind `head_depth`: how far ahead of its rim an ellipsoid whose rim is the
// mean face's outline is, in eye distances (semi-axes 1.16 across; 1.62 down and 2.0 up from
// 0.35 below the eyes; 1 deep); 0 on the rim and outside it.
float round_head(float x, float y) {
    const float u = x / 1.16f, v = (y - 0.35f) / (y > 0.35f ? 1.62f : 2.0f);
    return std::sqrt(std::max(0.0f, 1.0f - u * u - v * v));
}

// head_depth as a table over the frontal plane (the mesh's extent with a margin, 1/64 eye
// distance per cell): the generic head never changes, so it is rasterised once.
struct DepthTable {
    static constexpr ModelPlane kPlane{-1.5f, -1.4f, 1.0f / 64.0f, 193, 244};  // to x = 1.5, y = 2.4
    cv::Mat z{kPlane.size(), CV_32F, cv::Scalar(0)};
    DepthTable() {
        const auto& h = mean_head();
        cv::Mat outside(kPlane.size(), CV_8U, cv::Scalar(255));
        Mesh flat{};
        for (int i = 0; i < kMeshPoints; ++i) flat[i] = kPlane.cell({h[i].x, h[i].y});
        for (const cv::Vec3i& t : triangulate(flat)) {
            // Flat depth minus the flat ellipsoid: the detail the round head does not have.
            float off[3];
            for (int k = 0; k < 3; ++k) off[k] = h[t[k]].z + round_head(h[t[k]].x, h[t[k]].y);
            raster_triangle(flat[t[0]], flat[t[1]], flat[t[2]], kPlane.size(), [&](int y, int x, float l0, float l1, float l2) {
                const cv::Point2f m = kPlane.model(x, y);
                z.at<float>(y, x) = l0 * off[0] + l1 * off[1] + l2 * off[2] - round_head(m.x, m.y);
                outside.at<std::uint8_t>(y, x) = 0;
            });
        }
        // Outside the mesh, the nearest point inside's depth: no step where a lookup straddles it.
        fill_from_nearest(z, outside);
    }
};

cv::Matx33d camera(const HeadPose& p) {
    return {p.focal, 0, p.centre.x, 0, p.focal, p.centre.y, 0, 0, 1};
}

}  // namespace

const std::array<cv::Point3f, kMeshPoints>& mean_head() {
    static const auto h = build_head();
    return h;
}

HeadPose estimate_pose(const Landmarks& l) {
    HeadPose p;
    const float iod = inter_ocular(l);
    const cv::Point2f c = (left_eye(l) + right_eye(l) + l[33]) * (1.0f / 3.0f);
    p.focal = kDistance * std::max(1.0f, iod);
    p.centre = {c.x, c.y};
    std::vector<cv::Point3f> obj;
    std::vector<cv::Point2f> img;
    for (int i : kRigid) {
        obj.push_back(mean_head()[i]);
        img.push_back(l[i]);
    }
    // Start from the frontal pose at the typical distance: the iterative solver then settles on
    // the near solution instead of a mirrored one.
    cv::Vec3d rvec(0, 0, 0), tvec(0, 0, kDistance);
    bool ok = false;
    try {
        ok = cv::solvePnP(obj, img, camera(p), cv::noArray(), rvec, tvec, true, cv::SOLVEPNP_ITERATIVE);
    } catch (const cv::Exception&) {
        ok = false;
    }
    if (!ok || !std::isfinite(rvec[0] + rvec[1] + rvec[2]) || tvec[2] <= 0) return p;
    cv::Matx33d r;
    cv::Rodrigues(rvec, r);
    p.rotation = r;
    p.translation = tvec;
    p.fitted = true;
    // Angles of rotation = Rz(roll) * Rx(pitch) * Ry(yaw): turn, then nod, then tilt in the image.
    p.yaw = std::atan2(r(2, 0), r(2, 2)) * 180.0 / CV_PI;
    p.pitch = std::asin(std::clamp(-r(2, 1), -1.0, 1.0)) * 180.0 / CV_PI;
    p.roll = std::atan2(-r(0, 1), r(1, 1)) * 180.0 / CV_PI;
    return p;
}

float head_depth(cv::Point2f model) {
    static const DepthTable table;
    return sample<float>(table.z, DepthTable::kPlane, model);
}

cv::Point2f project(const HeadPose& pose, const cv::Point3f& model) {
    const cv::Vec3d pc = pose.rotation * cv::Vec3d(model.x, model.y, model.z) + pose.translation;
    const double z = std::max(1e-3, pc[2]);
    return {static_cast<float>(pose.focal * pc[0] / z + pose.centre.x), static_cast<float>(pose.focal * pc[1] / z + pose.centre.y)};
}

double camera_depth(const HeadPose& pose, const cv::Point3f& model) {
    return (pose.rotation * cv::Vec3d(model.x, model.y, model.z) + pose.translation)[2];
}

std::array<float, kMeshPoints> visibility(const HeadPose& pose) {
    std::array<float, kMeshPoints> v{};
    const auto& h = mean_head();
    const auto& n = head_normals();
    for (int i = 0; i < kMeshPoints; ++i) {
        const cv::Vec3d pc = pose.rotation * cv::Vec3d(h[i].x, h[i].y, h[i].z) + pose.translation;
        const cv::Vec3d nc = pose.rotation * cv::Vec3d(n[i][0], n[i][1], n[i][2]);
        v[i] = static_cast<float>(std::max(0.0, -nc.dot(pc) / std::max(1e-9, cv::norm(pc))));
    }
    return v;
}

std::array<cv::Point2f, 4> axis_points(const HeadPose& pose) {
    const cv::Point3f tip = mean_head()[30];
    const std::vector<cv::Point3f> pts = {tip, tip + cv::Point3f(0.8f, 0, 0), tip + cv::Point3f(0, -0.8f, 0),
                                          tip + cv::Point3f(0, 0, -0.8f)};
    cv::Vec3d rvec;
    cv::Rodrigues(pose.rotation, rvec);
    std::vector<cv::Point2f> out;
    cv::projectPoints(pts, rvec, cv::Vec3d(pose.translation), camera(pose), cv::noArray(), out);
    return {out[0], out[1], out[2], out[3]};
}

}  // namespace keyswap::face
