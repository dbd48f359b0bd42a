// Face path kernels at 720p and 1080p: detection (HOG on the downscaled frame), landmarks for
// one face, the swap of one tracked face, and the whole per-frame path with detection every
// 5 frames (amortised). The frame is obama-720p.jpg scaled to the size.
#include <benchmark/benchmark.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "keyswap/face/face_swapper.hpp"

using namespace keyswap;
using namespace keyswap::face;

namespace {

ImageU8 load(const std::string& file, int width) {
    cv::Mat bgr = cv::imread("../../shared/assets/faces/" + file, cv::IMREAD_COLOR);
    if (bgr.empty()) bgr = cv::imread("../shared/assets/faces/" + file, cv::IMREAD_COLOR);
    if (bgr.empty()) throw std::runtime_error("run from build/ (needs ../../shared/assets/faces/" + file + ")");
    if (width > 0) cv::resize(bgr, bgr, cv::Size(width, bgr.rows * width / bgr.cols), 0, 0, cv::INTER_AREA);
    ImageU8 out(bgr.cols, bgr.rows, 4);
    cv::Mat dst(bgr.rows, bgr.cols, CV_8UC4, out.data());
    cv::cvtColor(bgr, dst, cv::COLOR_BGR2RGBA);
    return out;
}

// A frame of `height` lines with the portrait centred (the rest black), like a webcam shot.
ImageU8 frame_of(int height) {
    const int width = height * 16 / 9;
    const ImageU8 face = load("obama-720p.jpg", 0);
    ImageU8 out(width, height, 4, 0);
    cv::Mat src(face.height(), face.width(), CV_8UC4, const_cast<std::uint8_t*>(face.data())), scaled;
    cv::resize(src, scaled, cv::Size(int(face.width() * double(height) / face.height()), height), 0, 0, cv::INTER_LINEAR);
    cv::Mat dst(height, width, CV_8UC4, out.data());
    const int w = std::min(scaled.cols, width);
    scaled(cv::Rect(0, 0, w, height)).copyTo(dst(cv::Rect((width - w) / 2, 0, w, height)));
    return out;
}

void BM_FaceDetectHog(benchmark::State& st) {
    const ImageU8 f = frame_of(static_cast<int>(st.range(0)));
    auto det = FaceDetector::create({}, 640);
    for (auto _ : st) benchmark::DoNotOptimize(det->detect(f.view()));
}
BENCHMARK(BM_FaceDetectHog)->Arg(720)->Arg(1080)->Unit(benchmark::kMillisecond);

// The ONNX detectors (issue 12) on the same frame, when ../shared/assets has the models.
void BM_FaceDetectOnnx(benchmark::State& st, DetectorKind kind, const char* model) {
    const ImageU8 f = frame_of(static_cast<int>(st.range(0)));
    std::string path = std::string("../../shared/assets/models/") + model;
    if (!std::ifstream(path)) path = std::string("../shared/assets/models/") + model;
    auto det = FaceDetector::create({kind, path}, 800);
    if (det->detect(f.view()).empty()) return st.SkipWithError("no face");
    for (auto _ : st) benchmark::DoNotOptimize(det->detect(f.view()));
}
BENCHMARK_CAPTURE(BM_FaceDetectOnnx, scrfd_500m, DetectorKind::Scrfd, "scrfd_500m_bnkps.onnx")
    ->Arg(720)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FaceDetectOnnx, yunet, DetectorKind::Yunet, "face_detection_yunet_2023mar.onnx")
    ->Arg(720)->Unit(benchmark::kMillisecond);

// The periodic check while a face is tracked: a search in a window around its box.
void BM_FaceDetectAround(benchmark::State& st) {
    const ImageU8 f = frame_of(static_cast<int>(st.range(0)));
    auto det = FaceDetector::create({}, 800);
    const auto found = det->detect(f.view());
    if (found.empty()) return st.SkipWithError("no face");
    for (auto _ : st) benchmark::DoNotOptimize(det->detect_around(f.view(), {found[0].box}));
}
BENCHMARK(BM_FaceDetectAround)->Arg(720)->Arg(1080)->Unit(benchmark::kMillisecond);

void BM_FaceLandmarks(benchmark::State& st) {
    const ImageU8 f = frame_of(static_cast<int>(st.range(0)));
    FaceAnalyser an(AnalyserSettings{});
    const auto found = an.analyse(f.view());
    if (found.empty()) return st.SkipWithError("no face");
    for (auto _ : st) benchmark::DoNotOptimize(an.fit(f.view(), found[0].box));
}
BENCHMARK(BM_FaceLandmarks)->Arg(720)->Arg(1080)->Unit(benchmark::kMillisecond);

// The whole face path per frame, detect every 5 frames: mean = amortised cost per frame.
void BM_FacePathPerFrame(benchmark::State& st) {
    const ImageU8 f = frame_of(static_cast<int>(st.range(0)));
    FaceSwapper swapper(FaceSettings{}, {{"biden.jpg", load("biden.jpg", 0)}});
    ThreadPool pool(0);
    Frame frame;
    StageTimes times;
    long n = 0;
    for (auto _ : st) {
        st.PauseTiming();
        frame.rgba = f;
        frame.time = double(n++) / 30.0;
        st.ResumeTiming();
        benchmark::DoNotOptimize(swapper.process(frame, nullptr, pool, &times));
    }
    for (const char* k : {"face.detect", "face.landmarks", "face.swap", "face.blend"})
        st.counters[std::string(k).substr(5) + "_ms"] = times.mean_ms(k);
}
BENCHMARK(BM_FacePathPerFrame)->Arg(720)->Arg(1080)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace
