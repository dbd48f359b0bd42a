#include "keyswap/face/detector.hpp"

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv.h>

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"

namespace keyswap::face {

std::vector<Detection> FaceDetector::detect(ImageView<const std::uint8_t> rgba) {
    assert(rgba.channels == 4);
    const cv::Mat frame(rgba.height, rgba.width, CV_8UC4, const_cast<std::uint8_t*>(rgba.data),
                        static_cast<std::size_t>(rgba.stride));
    const double scale = std::min(1.0, static_cast<double>(detect_width_) / rgba.width);
    // Shrink first, then convert: the colour conversion then touches only the small image.
    const cv::Mat* src = &frame;
    if (scale < 1.0) {
        cv::resize(frame, resized_, cv::Size(), scale, scale, cv::INTER_AREA);
        src = &resized_;
    }
    cv::cvtColor(*src, small_, wants_grey() ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGBA2RGB);
    std::vector<Detection> found = detect_small(small_);
    const float inv = static_cast<float>(1.0 / scale);
    for (auto& d : found) d.box = {d.box.x * inv, d.box.y * inv, d.box.width * inv, d.box.height * inv};
    std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.score > b.score; });
    return found;
}

std::vector<Detection> FaceDetector::detect_around(ImageView<const std::uint8_t> rgba,
                                                   const std::vector<cv::Rect2f>& boxes) {
    assert(rgba.channels == 4);
    const cv::Mat frame(rgba.height, rgba.width, CV_8UC4, const_cast<std::uint8_t*>(rgba.data),
                        static_cast<std::size_t>(rgba.stride));
    const cv::Rect whole(0, 0, rgba.width, rgba.height);
    std::vector<Detection> found;
    for (const auto& b : boxes) {
        // The box comes from this frame's landmarks, so the face is near its middle: a window
        // of 2.5 box widths leaves three quarters of a width for the detector's own box offset
        // and motion since the landmark fit.
        const float side = std::max(b.width, b.height), half = 1.25f * side;
        const cv::Rect window =
            cv::Rect(cv::Rect2f(b.x + b.width / 2 - half, b.y + b.height / 2 - half, 2 * half, 2 * half)) & whole;
        if (window.width < 8 || window.height < 8) continue;
        const double scale = std::min(1.0, kNearFace / std::max(1.0f, side));
        cv::resize(frame(window), roi_, cv::Size(), scale, scale, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
        cv::cvtColor(roi_, small_, wants_grey() ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGBA2RGB);
        const float inv = static_cast<float>(1.0 / scale);
        for (auto d : detect_near(small_)) {
            d.box = {window.x + d.box.x * inv, window.y + d.box.y * inv, d.box.width * inv, d.box.height * inv};
            found.push_back(d);
        }
    }
    std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.score > b.score; });
    // Windows of neighbouring faces overlap: keep the strongest box per face.
    std::vector<Detection> kept;
    for (const auto& d : found) {
        const bool dup = std::any_of(kept.begin(), kept.end(), [&](const Detection& k) {
            const float inter = (d.box & k.box).area();
            return inter > 0.5f * std::min(d.box.area(), k.box.area());
        });
        if (!dup) kept.push_back(d);
    }
    return kept;
}

namespace {

class HogDetector final : public FaceDetector {
public:
    explicit HogDetector(int detect_width)
        : FaceDetector(detect_width), hog_(dlib::get_frontal_face_detector()), near_(limited(hog_, 3)) {}

protected:
    bool wants_grey() const override { return true; }
    std::vector<Detection> detect_small(const cv::Mat& small) override { return run(hog_, small); }
    // Scaled to kNearFace (100 px), a face is found on the pyramid's first levels (boxes of 80,
    // 96 and 115 px): the smaller levels, which look for larger faces, are not scanned.
    std::vector<Detection> detect_near(const cv::Mat& small) override { return run(near_, small); }

private:
    static dlib::frontal_face_detector limited(const dlib::frontal_face_detector& d, unsigned long levels) {
        dlib::frontal_face_detector::image_scanner_type scanner;
        scanner.copy_configuration(d.get_scanner());
        scanner.set_max_pyramid_levels(levels);
        std::vector<dlib::frontal_face_detector::feature_vector_type> w;
        for (unsigned long i = 0; i < d.num_detectors(); ++i) w.push_back(d.get_w(i));
        return dlib::frontal_face_detector(scanner, d.get_overlap_tester(), w);
    }
    static std::vector<Detection> run(dlib::frontal_face_detector& det, const cv::Mat& small) {
        const dlib::cv_image<unsigned char> img(small);
        std::vector<dlib::rect_detection> dets;
        det(img, dets);
        std::vector<Detection> out;
        for (auto& d : dets)
            out.push_back({cv::Rect2f(d.rect.left(), d.rect.top(), d.rect.width(), d.rect.height()),
                           static_cast<float>(d.detection_confidence)});
        return out;
    }

    dlib::frontal_face_detector hog_, near_;
};

}  // namespace

DetectorSpec parse_detector(const std::string& text) {
    if (text == "hog") return {DetectorKind::Hog, {}};
    if (text == "cnn") return {DetectorKind::Cnn, {}};
    for (const auto& [prefix, kind] : {std::pair{"scrfd:", DetectorKind::Scrfd}, std::pair{"yunet:", DetectorKind::Yunet}}) {
        const std::string p = prefix;
        if (text.rfind(p, 0) == 0) {
            if (text.size() == p.size()) fail(ErrorKind::Usage, "--detector " + text + " needs the model file after the colon");
            return {kind, text.substr(p.size())};
        }
    }
    fail(ErrorKind::Usage, "unknown --detector '" + text + "' (hog, cnn, scrfd:FILE or yunet:FILE)");
}

std::unique_ptr<FaceDetector> FaceDetector::create(const DetectorSpec& spec, int detect_width) {
    switch (spec.kind) {
    case DetectorKind::Cnn: return make_cnn_detector(detect_width);
    case DetectorKind::Scrfd:
    case DetectorKind::Yunet: return make_onnx_detector(spec, detect_width);
    case DetectorKind::Hog: break;
    }
    return std::make_unique<HogDetector>(detect_width);
}

}  // namespace keyswap::face
