#pragma once
// A face generator that redraws the target's face with another identity: the inswapper layout
// (InsightFace's inswapper_128, the model FaceFusion and Deep-Live-Cam use).
//
// What this represents: one ONNX model with two inputs, the target's face aligned to the
// 128-pixel InSwapper template (RGB in [0,1], NCHW) and the source's latent [1,D], and one
// output, the redrawn face in the crop's frame (RGB in [0,1]). The latent is the source's
// unit ArcFace embedding times the model's `emap` matrix (D x D, the graph's last
// initializer, read from the file), normalised. The result is warped back with the inverse of
// the alignment; `coverage` says where the crop reached, softly, so the caller's masks,
// occlusion and matte-guided blend treat it like the classic swap's warped face.
// Thread safety: one per swapper (buffers reused).
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "keyswap/face/alignment.hpp"
#include "keyswap/infer/onnx_model.hpp"

namespace keyswap::face {

class NeuralSwapper {
public:
    // Throws Error(Model) naming the file when it is missing, not this layout, or has no emap.
    explicit NeuralSwapper(const std::string& path);
    int identity_size() const { return latent_size_; }  // D: the embedder must give this many values
    const std::string& path() const { return model_.path(); }

    // The identity to draw: a unit embedding of identity_size() values. Throws Error(Model)
    // when the size differs (an embedder that does not go with this swapper).
    void set_identity(std::span<const float> embedding, const std::string& embedder);

    // Requires: region CV_8UC3 RGB; local = the target's landmarks in its pixels; set_identity
    // called. Ensures: swapped CV_8UC3 and coverage CV_32F, both region-sized.
    void swap(const cv::Mat& region, const Landmarks& local, cv::Mat& swapped, cv::Mat& coverage);
    double last_ms() const { return model_.last_ms(); }

private:
    infer::OnnxModel model_;
    int side_ = 128, latent_size_ = 0;
    std::size_t target_input_ = 0, latent_input_ = 1;
    std::vector<float> emap_, latent_;
    AlignedCrop crop_;
    cv::Mat result_;
};

}  // namespace keyswap::face
