// Face detectors on ONNX Runtime: SCRFD (InsightFace's det_500m / det_10g layout) and YuNet
// (OpenCV's face_detection_yunet_2023mar layout). Both give a box and five keypoints (eyes,
// nose tip, mouth corners) per face on strides 8, 16 and 32. Their boxes are not the boxes the
// 68-point predictor was trained on (dlib's), so each face's box is rebuilt from its keypoints:
// the similarity that takes the predictor's mean face (eyes, nose tip, mouth corners, in its
// unit box) onto the keypoints maps that unit box into the frame.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"
#include "keyswap/face/detector.hpp"
#include "keyswap/face/geometry.hpp"
#include "keyswap/face/landmarks.hpp"
#include "keyswap/infer/onnx_model.hpp"

namespace keyswap::face {
namespace {

constexpr int kStrides[3] = {8, 16, 32};
// Each family's own default: SCRFD's scores are calibrated lower than YuNet's, whose 0.5 lets
// through faces "seen" in backgrounds (OpenCV uses 0.9 for it).
constexpr float kScrfdThreshold = 0.5f;
constexpr float kYunetThreshold = 0.9f;
constexpr float kNmsIou = 0.4f;

struct Candidate {
    cv::Rect2f box;  // the model's own box, in network-input pixels
    std::array<cv::Point2f, 5> kps;
    float score;
};

// The five keypoints of the predictor's mean face in its unit box, in the detectors' order:
// the eye on the image's left, the other eye, nose tip, mouth corner on the left, on the right.
std::array<cv::Point2f, 5> mean_keypoints() {
    const Landmarks m = LandmarkModel::shared()->mean_shape();
    const auto centre = [&](int from) {
        cv::Point2f c(0, 0);
        for (int i = from; i < from + 6; ++i) c += m[i];
        return c * (1.0f / 6);
    };
    return {centre(36), centre(42), m[30], m[48], m[54]};
}

// dlib-convention box from five keypoints: the least-squares similarity from the mean keypoints
// applied to the unit box's centre, its scale the box's side.
cv::Rect2f box_from_keypoints(const std::array<cv::Point2f, 5>& mean, const std::array<cv::Point2f, 5>& kps) {
    const cv::Mat m = similarity_fit(mean, kps);
    const double* r0 = m.ptr<double>(0);
    const double* r1 = m.ptr<double>(1);
    const float side = static_cast<float>(std::hypot(r0[0], r1[0]));
    const float cx = static_cast<float>(r0[0] * 0.5 + r0[1] * 0.5 + r0[2]);
    const float cy = static_cast<float>(r1[0] * 0.5 + r1[1] * 0.5 + r1[2]);
    return {cx - side / 2, cy - side / 2, side, side};
}

std::vector<Candidate> suppress(std::vector<Candidate> c) {
    std::sort(c.begin(), c.end(), [](auto& x, auto& y) { return x.score > y.score; });
    std::vector<Candidate> kept;
    for (const auto& d : c) {
        const bool overlaps =
            std::any_of(kept.begin(), kept.end(), [&](const Candidate& k) { return iou(d.box, k.box) > kNmsIou; });
        if (!overlaps) kept.push_back(d);
    }
    return kept;
}

// Shared by both: letterboxing into the network's input and mapping back.
class OnnxDetector : public FaceDetector {
protected:
    OnnxDetector(int detect_width, const std::string& path, const char* what)
        : FaceDetector(detect_width), model_(path, what, 1), mean_(mean_keypoints()) {}

    bool wants_grey() const override { return false; }

    // Fits `small` (RGB) into side x side (top-left, aspect kept, zero padding) and writes the
    // model's input as planar floats (value - mean) * scale, in RGB or BGR order.
    float letterbox(const cv::Mat& small, int width, int height, float mean, float scale, bool bgr) {
        const float f = std::min(static_cast<float>(width) / small.cols, static_cast<float>(height) / small.rows);
        const cv::Size size(std::max(1, cvRound(small.cols * f)), std::max(1, cvRound(small.rows * f)));
        cv::resize(small, fitted_, size, 0, 0, f < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
        const std::span<float> in = model_.input({1, 3, height, width});
        const std::size_t plane = static_cast<std::size_t>(width) * height;
        std::fill(in.begin(), in.end(), (0.0f - mean) * scale);
        for (int y = 0; y < size.height; ++y) {
            const std::uint8_t* row = fitted_.ptr<std::uint8_t>(y);
            float* c0 = in.data() + static_cast<std::size_t>(y) * width;
            for (int x = 0; x < size.width; ++x)
                for (int c = 0; c < 3; ++c)
                    c0[(bgr ? 2 - c : c) * plane + x] = (static_cast<float>(row[3 * x + c]) - mean) * scale;
        }
        return f;
    }

    std::vector<Detection> finish(const std::vector<Candidate>& found, float f) const {
        std::vector<Detection> out;
        for (const auto& c : suppress(found)) {
            std::array<cv::Point2f, 5> kps;
            for (int i = 0; i < 5; ++i) kps[i] = c.kps[i] * (1.0f / f);
            out.push_back({box_from_keypoints(mean_, kps), c.score});
        }
        return out;
    }

    // Output `name` as a float tensor of n x width; refuses a model without it.
    const float* output(std::vector<Ort::Value>& out, const std::string& name, std::size_t n, std::size_t width) const {
        const int i = model_.output_index(name);
        if (i < 0) model_.refuse("no output '" + name + "'");
        const auto info = out[static_cast<std::size_t>(i)].GetTensorTypeAndShapeInfo();
        if (info.GetElementCount() != n * width)
            model_.refuse("output '" + name + "' has " + std::to_string(info.GetElementCount()) + " values, expected " +
                          std::to_string(n * width));
        return out[static_cast<std::size_t>(i)].GetTensorData<float>();
    }

    infer::OnnxModel model_;
    std::array<cv::Point2f, 5> mean_;
    cv::Mat fitted_;
};

// SCRFD: input RGB (x - 127.5) / 128, any size divisible by 32; two anchors per cell; scores
// after the sigmoid; boxes as distances (left, top, right, bottom) and keypoints as offsets
// from the cell's corner, in strides.
class ScrfdDetector final : public OnnxDetector {
public:
    ScrfdDetector(int detect_width, const std::string& path) : OnnxDetector(detect_width, path, "SCRFD face detector") {
        model_.expect(1, 9);
        model_.expect_float_input(0, 4);
        for (int s : kStrides)
            for (const char* k : {"score_", "bbox_", "kps_"})
                if (model_.output_index(k + std::to_string(s)) < 0)
                    model_.refuse("no output '" + std::string(k) + std::to_string(s) + "' (SCRFD with keypoints has score, bbox and kps per stride 8, 16, 32)");
    }

protected:
    std::vector<Detection> detect_small(const cv::Mat& small) override { return run(small, 640); }
    // A window scaled to a 100 px face: a 256 px input holds it and costs a sixth of 640.
    std::vector<Detection> detect_near(const cv::Mat& small) override { return run(small, 256); }

private:
    std::vector<Detection> run(const cv::Mat& small, int side) {
        const float f = letterbox(small, side, side, 127.5f, 1.0f / 128.0f, false);
        auto out = model_.run();
        std::vector<Candidate> found;
        for (int s : kStrides) {
            const int cells = (side / s) * (side / s);
            const std::size_t n = static_cast<std::size_t>(cells) * 2;
            const float* score = output(out, "score_" + std::to_string(s), n, 1);
            const float* bbox = output(out, "bbox_" + std::to_string(s), n, 4);
            const float* kps = output(out, "kps_" + std::to_string(s), n, 10);
            for (std::size_t i = 0; i < n; ++i) {
                if (score[i] < kScrfdThreshold) continue;
                const int cell = static_cast<int>(i / 2);
                const float cx = static_cast<float>((cell % (side / s)) * s), cy = static_cast<float>((cell / (side / s)) * s);
                const float* d = bbox + 4 * i;
                Candidate c;
                c.box = cv::Rect2f(cv::Point2f(cx - d[0] * s, cy - d[1] * s), cv::Point2f(cx + d[2] * s, cy + d[3] * s));
                for (int k = 0; k < 5; ++k) c.kps[k] = {cx + kps[10 * i + 2 * k] * s, cy + kps[10 * i + 2 * k + 1] * s};
                c.score = score[i];
                found.push_back(c);
            }
        }
        return finish(found, f);
    }
};

// YuNet (2023mar): input BGR 0..255 at the model's fixed size; per stride a class and an
// objectness score (combined as their geometric mean), a box as centre offset and log size, and
// keypoints as offsets, all in strides from the cell.
class YunetDetector final : public OnnxDetector {
public:
    YunetDetector(int detect_width, const std::string& path) : OnnxDetector(detect_width, path, "YuNet face detector") {
        model_.expect(1, 12);
        model_.expect_float_input(0, 4);
        const auto& shape = model_.inputs()[0].shape;
        width_ = shape[3] > 0 ? static_cast<int>(shape[3]) : 640;
        height_ = shape[2] > 0 ? static_cast<int>(shape[2]) : 640;
        if (width_ % 32 || height_ % 32) model_.refuse("input " + infer::shape_text(shape) + " is not a multiple of 32");
        for (int s : kStrides)
            for (const char* k : {"cls_", "obj_", "bbox_", "kps_"})
                if (model_.output_index(k + std::to_string(s)) < 0)
                    model_.refuse("no output '" + std::string(k) + std::to_string(s) + "' (YuNet has cls, obj, bbox and kps per stride 8, 16, 32)");
    }

protected:
    std::vector<Detection> detect_small(const cv::Mat& small) override {
        const float f = letterbox(small, width_, height_, 0.0f, 1.0f, true);
        auto out = model_.run();
        std::vector<Candidate> found;
        for (int s : kStrides) {
            const int cols = width_ / s, rows = height_ / s;
            const std::size_t n = static_cast<std::size_t>(cols) * rows;
            const float* cls = output(out, "cls_" + std::to_string(s), n, 1);
            const float* obj = output(out, "obj_" + std::to_string(s), n, 1);
            const float* bbox = output(out, "bbox_" + std::to_string(s), n, 4);
            const float* kps = output(out, "kps_" + std::to_string(s), n, 10);
            for (std::size_t i = 0; i < n; ++i) {
                const float score = std::sqrt(std::clamp(cls[i], 0.0f, 1.0f) * std::clamp(obj[i], 0.0f, 1.0f));
                if (score < kYunetThreshold) continue;
                const float c = static_cast<float>(i % static_cast<std::size_t>(cols));
                const float r = static_cast<float>(i / static_cast<std::size_t>(cols));
                const float* d = bbox + 4 * i;
                const float cx = (c + d[0]) * s, cy = (r + d[1]) * s;
                const float w = std::exp(d[2]) * s, h = std::exp(d[3]) * s;
                Candidate cand;
                cand.box = {cx - w / 2, cy - h / 2, w, h};
                for (int k = 0; k < 5; ++k) cand.kps[k] = {(kps[10 * i + 2 * k] + c) * s, (kps[10 * i + 2 * k + 1] + r) * s};
                cand.score = score;
                found.push_back(cand);
            }
        }
        return finish(found, f);
    }

private:
    int width_ = 640, height_ = 640;
};

}  // namespace

std::unique_ptr<FaceDetector> make_onnx_detector(const DetectorSpec& spec, int detect_width) {
    if (spec.kind == DetectorKind::Scrfd) return std::make_unique<ScrfdDetector>(detect_width, spec.model);
    return std::make_unique<YunetDetector>(detect_width, spec.model);
}

}  // namespace keyswap::face
