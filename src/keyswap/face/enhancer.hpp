#pragma once
// Face restoration after the swap: the GFPGAN layout (GFPGAN 1.4, and restorers exported the
// same way) and CodeFormer's (the same image plus a fidelity weight, set to 0.5), for the soft
// faces a 128-pixel neural swap leaves on large targets.
//
// What this represents: one ONNX model with one input, the face aligned to the FFHQ
// template at the model's square size (512 for GFPGAN; RGB in [-1,1], NCHW), and one output
// of the same layout. The restored face is pasted back with the inverse alignment, faded at
// the crop's edge, and mixed in by `amount` times the caller's weight (face mask x matte), so
// it lands only where the swap did.
// Thread safety: one per swapper (buffers reused).
#include <string>

#include <opencv2/core.hpp>

#include "keyswap/face/alignment.hpp"
#include "keyswap/infer/onnx_model.hpp"

namespace keyswap::face {

enum class EnhancerKind { Gfpgan, CodeFormer };

class FaceEnhancer {
public:
    // Throws Error(Model) naming the file when it is missing or not this layout.
    explicit FaceEnhancer(const std::string& path, EnhancerKind kind = EnhancerKind::Gfpgan);
    const std::string& path() const { return model_.path(); }

    // Requires: region CV_8UC3 RGB, landmarks in its pixels. Ensures: restored CV_8UC3 and
    // coverage CV_32F (where the crop reached, soft-edged), both region-sized.
    void enhance(const cv::Mat& region, const Landmarks& local, cv::Mat& restored, cv::Mat& coverage);
    double last_ms() const { return model_.last_ms(); }

private:
    void feed_weight();
    infer::OnnxModel model_;
    EnhancerKind kind_;
    std::size_t image_in_ = 0, weight_in_ = 1;
    int side_ = 512;
    AlignedCrop crop_;
    cv::Mat result_;
};

}  // namespace keyswap::face
