#include "keyswap/face/occlusion_model.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace keyswap::face {

ModelOcclusion::ModelOcclusion(const std::string& path) : model_(path, "face occlusion", 0) {
    model_.expect(1, 1);
    model_.expect_float_input(0, 4);
    const auto& in = model_.inputs()[0].shape;
    nhwc_ = in[3] == 3;
    const std::int64_t h = nhwc_ ? in[1] : in[2], w = nhwc_ ? in[2] : in[3];
    if ((!nhwc_ && in[1] != 3) || h < 64 || h != w)
        model_.refuse("expected a square colour input such as [1,256,256,3] or [1,3,256,256], found " +
                      infer::shape_text(in));
    side_ = static_cast<int>(h);
    const auto& out = model_.outputs()[0].shape;
    const bool fits = (out.size() == 3 || out.size() == 4) &&
                      std::all_of(out.begin(), out.end(), [&](std::int64_t d) { return d < 0 || d == 1 || d == side_; });
    if (!fits) model_.refuse("expected one mask channel of the input's size, found " + infer::shape_text(out));
}

void ModelOcclusion::visible(const cv::Mat& image, const Landmarks& local, cv::Mat& out) {
    cut_aligned(image, local, FaceTemplate::Ffhq, side_, crop_);
    const auto in = model_.input(nhwc_ ? std::vector<std::int64_t>{1, side_, side_, 3}
                                       : std::vector<std::int64_t>{1, 3, side_, side_});
    const int n = side_ * side_;
    for (int y = 0; y < side_; ++y) {
        const auto* p = crop_.rgb.ptr<cv::Vec3b>(y);
        for (int x = 0; x < side_; ++x) {
            const int i = y * side_ + x;
            for (int c = 0; c < 3; ++c) {
                const float v = p[x][2 - c] / 255.0f;  // BGR, as these models were trained
                in[nhwc_ ? static_cast<std::size_t>(i * 3 + c) : static_cast<std::size_t>(c * n + i)] = v;
            }
        }
    }
    auto res = model_.run();
    if (res[0].GetTensorTypeAndShapeInfo().GetElementCount() != static_cast<std::size_t>(n))
        model_.refuse("its mask is not one channel of " + std::to_string(side_) + "x" + std::to_string(side_));
    map_ = cv::Mat(side_, side_, CV_32F, const_cast<float*>(res[0].GetTensorData<float>())).clone();
    cv::min(cv::max(map_, 0.0), 1.0, map_);
    paste_back(map_, crop_.to_crop, image.size(), 0.0f, pasted_, coverage_);
    // Outside the crop the model said nothing: visible there.
    out = pasted_.mul(coverage_) + (1.0 - coverage_);
}

void ModelOcclusion::estimate(const cv::Mat& image, const Mesh& mesh, const cv::Mat& area, OcclusionRegion region,
                              cv::Mat& occluded) {
    if (region != OcclusionRegion::Face) return guard_.estimate(image, mesh, area, region, occluded);
    Landmarks local;
    std::copy(mesh.begin(), mesh.begin() + kLandmarks, local.begin());
    visible(image, local, visible_);
    cv::compare(visible_, 0.5, occluded, cv::CMP_LT);
    cv::bitwise_and(occluded, area, occluded);
}

}  // namespace keyswap::face
