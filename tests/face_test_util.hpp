#pragma once
// Helpers shared by the face tests: decoding assets to keyswap images, and one analyser per
// test binary (the 68-point model takes a second to load).
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/image.hpp"
#include "keyswap/face/face_analyser.hpp"
#include "test_support.hpp"

namespace keyswap::test {

// Any still image as RGBA8 (grey and colour alike), as io::read_image will deliver it.
inline ImageU8 load_rgba(const std::string& rel) {
    const cv::Mat bgr = cv::imread(asset(rel).string(), cv::IMREAD_COLOR);
    ImageU8 out(bgr.cols, bgr.rows, 4);
    cv::Mat dst(bgr.rows, bgr.cols, CV_8UC4, out.data());
    cv::cvtColor(bgr, dst, cv::COLOR_BGR2RGBA);
    return out;
}

inline Frame load_frame(const std::string& rel) {
    Frame f;
    f.rgba = load_rgba(rel);
    return f;
}

inline face::FaceAnalyser& shared_analyser() {
    static face::FaceAnalyser a(face::AnalyserSettings{});
    return a;
}

// Raw landmarks of the largest face in an image (what the swapper uses on a first frame).
inline face::Landmarks largest_face(const ImageU8& img) {
    const auto& tracks = shared_analyser().analyse(img.view());
    EXPECT_FALSE(tracks.empty());
    const face::Track* best = &tracks.at(0);
    for (auto& t : tracks)
        if (face::inter_ocular(t.raw) > face::inter_ocular(best->raw)) best = &t;
    return best->raw;
}

// An RGBA image's pixels as an OpenCV matrix (no copy).
inline cv::Mat as_mat(ImageU8& img) { return cv::Mat(img.height(), img.width(), CV_8UC4, img.data()); }

}  // namespace keyswap::test
