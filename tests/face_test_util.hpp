#pragma once
// Helpers shared by the face tests: decoding assets to keyswap images, and one analyser per
// test binary (the 68-point model takes a second to load).
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

}  // namespace keyswap::test
