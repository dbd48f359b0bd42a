#include "keyswap/face/enhancer.hpp"

namespace keyswap::face {
namespace {
constexpr float kCropBorder = 0.12f;
// CodeFormer's balance between fidelity to the input (1) and restoration quality (0): its
// authors' middle setting, which keeps the swapped identity while sharpening it.
constexpr float kCodeFormerFidelity = 0.5f;
}

FaceEnhancer::FaceEnhancer(const std::string& path, EnhancerKind kind)
    : model_(path, kind == EnhancerKind::CodeFormer ? "CodeFormer face enhancer" : "GFPGAN face enhancer", 0), kind_(kind) {
    if (kind == EnhancerKind::CodeFormer) {
        // The image and a fidelity weight (rank 0 or 1, one value), in either order.
        model_.expect(2, 1);
        image_in_ = model_.inputs()[0].shape.size() == 4 ? 0 : 1;
        weight_in_ = 1 - image_in_;
        const auto& w = model_.inputs()[weight_in_];
        const bool scalar = w.shape.empty() || (w.shape.size() == 1 && w.shape[0] <= 1);
        if (!scalar || (w.type != ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE && w.type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT))
            model_.refuse("expected a fidelity weight input of one value beside the image, found '" + w.name + "' " +
                          infer::shape_text(w.shape));
    } else {
        if (model_.inputs().size() != 1)
            model_.refuse("expected one image input (the GFPGAN layout), found " + std::to_string(model_.inputs().size()) +
                          " inputs");
        model_.expect(1, 1);
    }
    model_.expect_float_input(image_in_, 4);
    const auto& in = model_.inputs()[image_in_].shape;
    if ((in[1] != 3 && in[1] >= 0) || in[2] < 64 || in[2] != in[3])
        model_.refuse("expected a square RGB input such as [1,3,512,512], found " + infer::shape_text(in));
    side_ = static_cast<int>(in[2]);
    const auto& out = model_.outputs()[0].shape;
    if (out.size() != 4 || (out[2] >= 0 && out[2] != side_))
        model_.refuse("expected an output of the input's size, found " + infer::shape_text(out));
    std::vector<std::vector<std::int64_t>> shapes(model_.inputs().size());
    shapes[image_in_] = {1, 3, side_, side_};
    if (kind_ == EnhancerKind::CodeFormer && !model_.inputs()[weight_in_].shape.empty()) shapes[weight_in_] = {1};
    model_.warm_up(shapes);
}

void FaceEnhancer::feed_weight() {
    if (kind_ != EnhancerKind::CodeFormer) return;
    const auto& w = model_.inputs()[weight_in_].shape;
    model_.input(weight_in_, w.empty() ? std::vector<std::int64_t>{} : std::vector<std::int64_t>{1})[0] = kCodeFormerFidelity;
}


void FaceEnhancer::enhance(const cv::Mat& region, const Landmarks& local, cv::Mat& restored, cv::Mat& coverage) {
    cut_aligned(region, local, FaceTemplate::Ffhq, side_, crop_);
    to_planar(crop_.rgb, 2.0f / 255.0f, -1.0f, model_.input(image_in_, {1, 3, side_, side_}).data());
    feed_weight();
    auto out = model_.run();
    from_planar(out[0].GetTensorData<float>(), side_, 127.5f, 127.5f, result_);
    paste_back(result_, crop_.to_crop, region.size(), kCropBorder, restored, coverage);
}

}  // namespace keyswap::face
