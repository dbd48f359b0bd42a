#include "keyswap/face/occlusion_model.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace keyswap::face {
namespace {

// CelebAMask-HQ's 19 classes as face parsers number them: the ones the swap replaces (skin,
// brows, eyes, nose, mouth, lips). Glasses (6), ears, earrings, neck, clothes, hair (17), hat
// and background are left to the target.
constexpr int kParserClasses = 19;
constexpr bool kFaceClass[kParserClasses] = {false, true,  true,  true,  true,  true,  false, false, false, false,
                                             true,  true,  true,  true,  false, false, false, false, false};
// ImageNet's normalisation, which the BiSeNet face parsers were trained with.
constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};

}  // namespace

ModelOcclusion::ModelOcclusion(const std::string& path) : model_(path, "face occlusion or parsing", 0) {
    if (model_.inputs().size() != 1 || model_.outputs().empty() || model_.outputs().size() > 3)
        model_.refuse("expected one image input and a mask output (XSeg or BiSeNet layout), found " +
                      std::to_string(model_.inputs().size()) + " inputs and " + std::to_string(model_.outputs().size()) +
                      " outputs");
    model_.expect_float_input(0, 4);
    const auto& in = model_.inputs()[0].shape;
    nhwc_ = in[3] == 3;
    const std::int64_t h = nhwc_ ? in[1] : in[2], w = nhwc_ ? in[2] : in[3];
    if ((!nhwc_ && in[1] != 3) || h < 64 || h != w)
        model_.refuse("expected a square colour input such as [1,256,256,3] or [1,3,512,512], found " + infer::shape_text(in));
    side_ = static_cast<int>(h);
    const auto& out = model_.outputs()[0].shape;
    parser_ = !nhwc_ && out.size() == 4 && out[1] == kParserClasses;
    const bool mask = (out.size() == 3 || out.size() == 4) &&
                      std::all_of(out.begin(), out.end(), [&](std::int64_t d) { return d < 0 || d == 1 || d == side_; });
    if (!parser_ && !mask)
        model_.refuse("expected one mask channel of the input's size (XSeg) or 19 classes (BiSeNet face parser), found " +
                      infer::shape_text(out));
    model_.warm_up({nhwc_ ? std::vector<std::int64_t>{1, side_, side_, 3} : std::vector<std::int64_t>{1, 3, side_, side_}});
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
                // XSeg: BGR in 0..1, as DeepFaceLab trained it; parser: RGB, ImageNet-normalised.
                const float v = parser_ ? (p[x][c] / 255.0f - kMean[c]) / kStd[c] : p[x][2 - c] / 255.0f;
                in[nhwc_ ? static_cast<std::size_t>(i * 3 + c) : static_cast<std::size_t>(c * n + i)] = v;
            }
        }
    }
    auto res = model_.run();
    const std::size_t want = static_cast<std::size_t>(n) * (parser_ ? kParserClasses : 1);
    if (res[0].GetTensorTypeAndShapeInfo().GetElementCount() != want)
        model_.refuse("its output is not " + std::string(parser_ ? "19 classes" : "one channel") + " of " +
                      std::to_string(side_) + "x" + std::to_string(side_));
    const float* m = res[0].GetTensorData<float>();
    map_.create(side_, side_, CV_32F);
    if (parser_) {
        // The most likely class per pixel decides: face (1) or in front of it (0). Class by
        // class over whole planes (contiguous, branch-free), not pixel by pixel across planes.
        best_.assign(m, m + n);
        float* face = map_.ptr<float>();
        std::fill(face, face + n, kFaceClass[0] ? 1.0f : 0.0f);
        for (int k = 1; k < kParserClasses; ++k) {
            const float* plane = m + static_cast<std::size_t>(k) * n;
            const float is_face = kFaceClass[k] ? 1.0f : 0.0f;
            float* best = best_.data();
            for (int i = 0; i < n; ++i) {
                const bool wins = plane[i] > best[i];
                best[i] = wins ? plane[i] : best[i];
                face[i] = wins ? is_face : face[i];
            }
        }
    } else {
        for (int i = 0; i < n; ++i) map_.ptr<float>()[i] = std::clamp(m[i], 0.0f, 1.0f);
    }
    paste_back(map_, crop_.to_crop, image.size(), 0.0f, pasted_, coverage_);
    // Outside the crop the model said nothing: visible there.
    out = pasted_.mul(coverage_) + (1.0 - coverage_);
}

void ModelOcclusion::estimate(const cv::Mat& image, const Mesh& mesh, const cv::Mat& area, OcclusionRegion region,
                              cv::Mat& occluded) {
    if (region != OcclusionRegion::Face) return guard_.estimate(image, mesh, area, region, occluded);
    visible(image, landmarks_of(mesh), visible_);
    cv::compare(visible_, 0.5, occluded, cv::CMP_LT);
    cv::bitwise_and(occluded, area, occluded);
}

}  // namespace keyswap::face
