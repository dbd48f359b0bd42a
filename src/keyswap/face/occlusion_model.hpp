#pragma once
// What covers a face, from a model: an occlusion model (DeepFaceLab's XSeg and the occluder
// models FaceFusion ships) or a face parser (BiSeNet on CelebAMask-HQ's 19 classes): hands,
// microphones, glasses, hair, whatever their colour.
//
// What this represents: an OcclusionEstimator (occlusion.hpp) backed by one ONNX model that
// takes the face aligned to the FFHQ template at its square size. Told apart by signature:
//   * occlusion (XSeg): BGR in [0,1], NHWC or NCHW, one output channel, 1 = visible face;
//   * face parser (BiSeNet): RGB ImageNet-normalised NCHW, 19 class scores; the face is
//     skin, brows, eyes, nose, mouth and lips, and everything else (glasses, hair, a hat, a
//     hand) counts as in front.
// For the whole-face region (--occlusion) the model decides; the narrow guards (forehead, a
// source photo's hair rim) stay the landmark-and-colour estimate's.
// Thread safety: one per swapper (buffers reused).
#include <string>
#include <vector>

#include "keyswap/face/alignment.hpp"
#include "keyswap/face/occlusion.hpp"
#include "keyswap/infer/onnx_model.hpp"

namespace keyswap::face {

class ModelOcclusion final : public OcclusionEstimator {
public:
    // Throws Error(Model) naming the file when it is missing or not this layout.
    explicit ModelOcclusion(const std::string& path);
    void estimate(const cv::Mat& image, const Mesh& mesh, const cv::Mat& area, OcclusionRegion region,
                  cv::Mat& occluded) override;

    bool parser() const { return parser_; }
    // The model's visible-face map (CV_32F in [0,1], region-sized; 1 outside its crop).
    void visible(const cv::Mat& image, const Landmarks& local, cv::Mat& out);

private:
    infer::OnnxModel model_;
    int side_ = 256;
    bool nhwc_ = true;
    bool parser_ = false;
    SkinOcclusion guard_;
    AlignedCrop crop_;
    cv::Mat map_, pasted_, coverage_, visible_;
    std::vector<float> best_;  // parser: the best class score so far, per pixel
};

}  // namespace keyswap::face
