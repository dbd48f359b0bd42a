#pragma once
// Identity embeddings from an ArcFace-style recognition model (InsightFace's w600k_r50,
// glintr100 and their kin), the identity a neural swapper is told to draw.
//
// What this represents: one ONNX model that takes a 112x112 face aligned to ArcFace's
// five-point template (RGB, (v - 127.5) / 127.5, NCHW) and gives one vector (512 values for
// the common models), returned L2-normalised. Its signature is checked on load: one float
// [1,3,112,112] input, one [1,D] output.
// Thread safety: one per owner (the model reuses its buffers).
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "keyswap/face/alignment.hpp"
#include "keyswap/infer/onnx_model.hpp"

namespace keyswap::face {

class ArcFaceEmbedder {
public:
    // Throws Error(Model) naming the file when it is missing or not this layout.
    explicit ArcFaceEmbedder(const std::string& path);
    int size() const { return size_; }  // D
    const std::string& path() const { return model_.path(); }

    // Requires: rgb CV_8UC3; landmarks in its pixels. Ensures: size() values, unit length.
    std::vector<float> embed(const cv::Mat& rgb, const Landmarks& landmarks);

private:
    infer::OnnxModel model_;
    int size_ = 0;
    AlignedCrop crop_;
};

// Mean of unit vectors, normalised again: one identity from several photos of a person.
std::vector<float> mean_identity(const std::vector<std::vector<float>>& embeddings);
// Cosine similarity of two unit vectors.
float cosine(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace keyswap::face
