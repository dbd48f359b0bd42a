#pragma once
// Face detection on a downscaled copy of the frame.
//
// What this represents: a face detector that finds upright faces in an RGBA frame and returns
// boxes in frame pixels (dlib's box convention, which the 68-point predictor was trained on).
// It works on a copy scaled so its width is at most `detect_width` (grey for HOG, RGB for the
// MMOD CNN), because detection cost grows with pixels and faces rarely need full resolution.
// Kinds: "hog" (dlib's built-in frontal HOG detector: fast, finds faces >= ~80 px in the small
// image, frontal to ~45 degrees) and "cnn" (dlib's MMOD CNN: more poses, slower on CPU).
// Thread safety: not thread safe (scratch buffers, dlib scanners); one per analyser.
#include <memory>
#include <opencv2/core.hpp>
#include <array>
#include <string>
#include <vector>

#include "keyswap/core/image.hpp"

namespace keyswap::face {

// Which detector finds faces: dlib's HOG (fast) or its MMOD CNN (more poses, slower), or an
// ONNX model the user has: SCRFD or YuNet (turned faces too; detector_onnx.cpp).
enum class DetectorKind { Hog, Cnn, Scrfd, Yunet };
struct DetectorSpec {
    DetectorKind kind = DetectorKind::Hog;
    std::string model;  // the ONNX file for Scrfd and Yunet
};
// "hog", "cnn", "scrfd:FILE" or "yunet:FILE"; throws Error(Usage) naming the value otherwise.
DetectorSpec parse_detector(const std::string& text);


struct Detection {
    cv::Rect2f box;      // frame pixels
    float score = 0.0f;  // detector confidence; larger is surer (units differ by kind)
};

class FaceDetector {
public:
    // detect_width: width of the detection image (frames narrower than that are used as they
    // are). Throws Error(Model) if the model is missing or not the kind's layout.
    static std::unique_ptr<FaceDetector> create(const DetectorSpec& spec, int detect_width);
    virtual ~FaceDetector() = default;

    // Requires: rgba has 4 channels. Ensures: boxes in frame pixels, strongest first.
    std::vector<Detection> detect(ImageView<const std::uint8_t> rgba);

    // Re-detects only around known faces: each box is searched in a window of 2.5 box widths,
    // scaled so the face is about kNearFace px (HOG's sweet spot: at 90 px a face leaving the
    // frame was lost a few frames earlier). Far cheaper
    // than a full frame, so tracked faces are confirmed often while the full search runs rarely.
    // Ensures: boxes in frame pixels, strongest first, duplicates of one face merged.
    std::vector<Detection> detect_around(ImageView<const std::uint8_t> rgba, const std::vector<cv::Rect2f>& boxes);

protected:
    explicit FaceDetector(int detect_width) : detect_width_(detect_width) {}
    // `small` is the scaled frame (CV_8UC1 for wants_grey(), else CV_8UC3 RGB); boxes in its pixels.
    virtual std::vector<Detection> detect_small(const cv::Mat& small) = 0;
    // The same on a window around a known face scaled to kNearFace: a detector may skip the
    // scales where a face of that size cannot be.
    virtual std::vector<Detection> detect_near(const cv::Mat& small) { return detect_small(small); }
    static constexpr double kNearFace = 100;
    virtual bool wants_grey() const = 0;

private:
    int detect_width_;
    cv::Mat resized_, small_, roi_;  // reused between calls
};

// Implemented in detector_cnn.cpp so the dlib DNN templates compile in one place.
std::unique_ptr<FaceDetector> make_cnn_detector(int detect_width);
// In detector_onnx.cpp: SCRFD and YuNet on ONNX Runtime.
std::unique_ptr<FaceDetector> make_onnx_detector(const DetectorSpec& spec, int detect_width);

}  // namespace keyswap::face
