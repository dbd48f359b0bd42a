// Re-projection through the 3D head (face/reprojection.hpp). Ground truth: a textured generic
// head rendered at two poses, where where every point of the head lands is known, so the warp
// from one pose to the other can be compared with the true second view pixel by pixel.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "head_view.hpp"
#include "keyswap/face/reprojection.hpp"
#include "keyswap/face/warp.hpp"

using namespace keyswap::face;

namespace {

constexpr int kSize = 400;
constexpr double kIod = 80;  // px per eye distance in the rendered views

HeadPose view(double yaw) { return keyswap::test::head_view(yaw, kIod, {kSize / 2.0, kSize / 2.0}); }

// The mesh a landmark detector reports for the head in `pose`: outline points on the silhouette
// (fit_head's model points depend on the pose only), the rest where the head's points project.
Mesh landmarks_in(const HeadPose& pose) {
    const HeadFit f = fit_head(Mesh{}, pose);
    Mesh m{};
    for (int i = 0; i < kMeshPoints; ++i) m[i] = project(pose, {f.model[i].x, f.model[i].y, head_depth(f.model[i])});
    return m;
}

// A texture over the head's frontal plane, 100 px per eye distance: colour stripes in both
// directions, so a point's colour says where on the head it is.
struct Texture {
    static constexpr float kScale = 100, kX0 = 150, kY0 = 140;
    cv::Mat img;
    SourceAtlas atlas;
    std::vector<cv::Vec3i> tris;
    Texture() {
        img.create(400, 300, CV_8UC3);
        for (int y = 0; y < img.rows; ++y)
            for (int x = 0; x < img.cols; ++x) {
                const float mx = (x - kX0) / kScale, my = (y - kY0) / kScale;
                img.at<cv::Vec3b>(y, x) = {static_cast<std::uint8_t>(128 + 100 * std::sin(mx * 25)),
                                           static_cast<std::uint8_t>(128 + 100 * std::sin(my * 21)),
                                           static_cast<std::uint8_t>(128 + 60 * std::sin((mx + my) * 9))};
            }
        // The texture as a "photo" taken straight on from very far: pixels = model plane, linearly.
        HeadPose flat;
        flat.translation = {0, 0, 1e5};
        flat.focal = 1e5 * kScale;
        flat.centre = {kX0, kY0};
        Mesh m{};
        for (int i = 0; i < kMeshPoints; ++i) m[i] = project(flat, mean_head()[i]);
        tris = triangulate(m);
        atlas.build(fit_head(m, flat), tris);
    }
};

// The textured head seen in `pose`, and where its face is (inside its mesh, shrunk by `inset` px).
cv::Mat render(const Texture& tex, const HeadPose& pose, cv::Mat* face = nullptr, int inset = 0) {
    const Mesh m = landmarks_in(pose);
    DenseMesh dense;
    reprojected_mesh(fit_head(m, pose), {0, 0}, tex.atlas, tex.tris, dense);
    PiecewiseWarp w;
    Mesh tm{};
    for (int i = 0; i < kMeshPoints; ++i) tm[i] = tex.atlas.at({mean_head()[i].x, mean_head()[i].y});
    w.build(dense, m, tm, cv::Size(kSize, kSize));
    cv::Mat out;
    w.apply(tex.img, out);
    if (face) {
        face->create(kSize, kSize, CV_8U);
        face->setTo(0);
        for (const auto& t : dense.triangles) {
            const cv::Point pts[3] = {dense.target[t[0]], dense.target[t[1]], dense.target[t[2]]};
            cv::fillConvexPoly(*face, pts, 3, 255);
        }
        if (inset > 0) cv::erode(*face, *face, cv::Mat(), cv::Point(-1, -1), inset);
    }
    return out;
}

double mean_error(const cv::Mat& a, const cv::Mat& b, const cv::Mat& mask) {
    cv::Mat d;
    cv::absdiff(a, b, d);
    return cv::mean(d, mask)[0] / 3 + cv::mean(d, mask)[1] / 3 + cv::mean(d, mask)[2] / 3;
}

}  // namespace

TEST(Reprojection, EveryMeshPointLandsOnItsLandmarkAndOnlyAFarOutlineSlides) {
    for (double yaw : {0.0, 20.0, -35.0}) {
        const HeadPose pose = view(yaw);
        Mesh m = landmarks_in(pose);
        for (auto& p : m) p += cv::Point2f(3.5f, -2.0f);  // someone else's face: off the generic head
        const HeadFit f = fit_head(m, pose);
        for (int i = 0; i < kMeshPoints; ++i) {
            const cv::Point2f at = place(f, f.model[i], f.offset[i]);
            EXPECT_LT(cv::norm(at - m[i]), 1e-3) << "yaw " << yaw << " point " << i;
        }
        // A nose turned to the image's right (+yaw) turns the x > 0 half away; a frontal head has no far side.
        for (int i : {0, 2, 4, 14, 16}) {
            const float moved = std::abs(mean_head()[i].x) - std::abs(f.model[i].x);
            const bool far = (yaw > 0 && mean_head()[i].x > 0) || (yaw < 0 && mean_head()[i].x < 0);
            if (yaw == 0.0 || !far) {
                EXPECT_LT(moved, 0.02f) << "yaw " << yaw << " point " << i;
            } else if (std::abs(yaw) > 30) {
                EXPECT_GT(moved, 0.1f) << "yaw " << yaw << " point " << i << ": a far outline point is a silhouette";
            }
        }
        for (int i = 17; i < kMeshPoints; ++i)
            if (i != 17 && i != 26) {
                EXPECT_EQ(f.model[i], cv::Point2f(mean_head()[i].x, mean_head()[i].y));
            }
    }
}

// The swap's question: given the head seen at one pose, what does it look like at another?
// Through the 3D head the answer matches the true second view to resampling error; the flat
// mesh warp smears the far side and misplaces the round cheeks.
TEST(Reprojection, ATurnedHeadIsRedrawnAsItIsSeenFromTheNewPose) {
    const Texture tex;
    for (const auto& [from, to] : {std::pair{-30.0, 15.0}, std::pair{0.0, 35.0}, std::pair{25.0, -10.0}}) {
        const HeadPose ps = view(from), pt = view(to);
        const cv::Mat source = render(tex, ps);
        cv::Mat face;
        const cv::Mat truth = render(tex, pt, &face, 3);
        const Mesh ms = landmarks_in(ps), mt = landmarks_in(pt);
        Mesh tm = ms;  // the "source photo's" mesh, as its landmarks would be
        const auto tris = triangulate(ms);

        SourceAtlas atlas;
        atlas.build(fit_head(ms, ps), tris);
        DenseMesh dense;
        reprojected_mesh(fit_head(mt, pt), {0, 0}, atlas, tris, dense);
        PiecewiseWarp w3, wf;
        w3.build(dense, mt, tm, cv::Size(kSize, kSize));
        wf.build(mt, tm, tris, cv::Size(kSize, kSize));
        cv::Mat out3, outf;
        w3.apply(source, out3);
        wf.apply(source, outf);
        const double e3 = mean_error(out3, truth, face), ef = mean_error(outf, truth, face);
        EXPECT_LT(e3, 0.6 * ef) << from << " -> " << to << ": 3D " << e3 << ", flat " << ef;
        EXPECT_LT(e3, 12.0) << from << " -> " << to;
    }
}
