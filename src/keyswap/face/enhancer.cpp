#include "keyswap/face/enhancer.hpp"

namespace keyswap::face {
namespace {
constexpr float kCropBorder = 0.12f;
}

FaceEnhancer::FaceEnhancer(const std::string& path) : model_(path, "GFPGAN face enhancer", 0) {
    if (model_.inputs().size() != 1)
        model_.refuse("expected one image input (the GFPGAN layout), found " + std::to_string(model_.inputs().size()) +
                      " inputs");
    model_.expect(1, 1);
    model_.expect_float_input(0, 4);
    const auto& in = model_.inputs()[0].shape;
    if ((in[1] != 3 && in[1] >= 0) || in[2] < 64 || in[2] != in[3])
        model_.refuse("expected a square RGB input such as [1,3,512,512], found " + infer::shape_text(in));
    side_ = static_cast<int>(in[2]);
    const auto& out = model_.outputs()[0].shape;
    if (out.size() != 4 || (out[2] >= 0 && out[2] != side_))
        model_.refuse("expected an output of the input's size, found " + infer::shape_text(out));
    model_.warm_up({{1, 3, side_, side_}});
}

void FaceEnhancer::enhance(const cv::Mat& region, const Landmarks& local, cv::Mat& restored, cv::Mat& coverage) {
    cut_aligned(region, local, FaceTemplate::Ffhq, side_, crop_);
    to_planar(crop_.rgb, 2.0f / 255.0f, -1.0f, model_.input({1, 3, side_, side_}).data());
    auto out = model_.run();
    from_planar(out[0].GetTensorData<float>(), side_, 127.5f, 127.5f, result_);
    paste_back(result_, crop_.to_crop, region.size(), kCropBorder, restored, coverage);
}

}  // namespace keyswap::face
