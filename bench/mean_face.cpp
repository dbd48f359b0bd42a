// mean_face: the mean frontal 2D landmark layout behind face/head_pose.cpp's generic head.
//   mean_face PHOTO...      (prints a C++ table of 68 (x, y) in eye distances)
// Every near-frontal face found (|yaw ratio| < 0.12) is brought onto the first by a similarity,
// the shapes are averaged with their mirror images (so the layout is exactly symmetric) and
// scaled to an eye distance of 1 with the eyes' midpoint at the origin. Run on varied photos
// (the table in head_pose.cpp came from ../shared/assets/faces and dlib's example faces).
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>

#include "keyswap/face/face_analyser.hpp"
#include "keyswap/face/source_library.hpp"

using namespace keyswap;
using namespace keyswap::face;

int main(int argc, char** argv) {
    FaceAnalyser an(AnalyserSettings{});
    std::vector<Landmarks> shapes;
    for (int i = 1; i < argc; ++i) {
        const cv::Mat bgr = cv::imread(argv[i], cv::IMREAD_COLOR);
        if (bgr.empty()) continue;
        ImageU8 img(bgr.cols, bgr.rows, 4);
        cv::Mat dst(bgr.rows, bgr.cols, CV_8UC4, img.data());
        cv::cvtColor(bgr, dst, cv::COLOR_BGR2RGBA);
        for (const Track& t : an.analyse(img.view()))
            if (std::abs(yaw_ratio(t.raw)) < 0.12f && inter_ocular(t.raw) > 30.0f) shapes.push_back(t.raw);
        an.reset();
    }
    if (shapes.empty()) return 1;
    // Canonical frame: eyes' midpoint at 0, eye distance 1, eyes level.
    auto canonical = [](const Landmarks& l) {
        const cv::Point2f le = left_eye(l), re = right_eye(l), c = (le + re) * 0.5f, d = re - le;
        const float s = 1.0f / std::hypot(d.x, d.y), cs = d.x * s, sn = d.y * s;
        Landmarks o;
        for (int i = 0; i < kLandmarks; ++i) {
            const cv::Point2f p = l[i] - c;
            o[i] = {(cs * p.x + sn * p.y) * s, (-sn * p.x + cs * p.y) * s};
        }
        return o;
    };
    Landmarks mean{};
    for (const auto& s : shapes) {
        const Landmarks c = canonical(s), m = mirrored(c, 0.0f);
        for (int i = 0; i < kLandmarks; ++i) mean[i] += (c[i] + m[i]) * 0.5f;
    }
    std::printf("// %zu near-frontal faces\n", shapes.size());
    for (int i = 0; i < kLandmarks; ++i) {
        const cv::Point2f p = mean[i] * (1.0f / static_cast<float>(shapes.size()));
        std::printf("{%.3ff, %.3ff},%s", p.x, p.y, i % 4 == 3 ? "\n" : " ");
    }
    std::printf("\n");
}
