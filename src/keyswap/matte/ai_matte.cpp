#include "keyswap/matte/ai_matte.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"
#include "keyswap/infer/onnx_model.hpp"

namespace keyswap::matte {

namespace {
// The portrait SINet's input as it was exported (0..255 RGB minus a per-channel mean, divided by
// 255 times a per-channel deviation): found by trying the usual normalisations on portraits;
// only this one segments them (the others lose the person or keep the backdrop).
constexpr float kSinetMean[3] = {102.890434f, 111.25247f, 126.91212f};
constexpr float kSinetScale[3] = {1.0f / (62.93292f * 255.0f), 1.0f / (62.82138f * 255.0f), 1.0f / (66.355705f * 255.0f)};
constexpr int kOpenShortSide = 512;
}  // namespace

AiMatte::AiMatte(const std::string& path)
    : model_(std::make_unique<infer::OnnxModel>(path, "portrait matting", 0)) {
    model_->expect_float_input(0, 4);
    if (model_->inputs().size() != 1 || model_->outputs().size() != 1)
        model_->refuse("expected one input and one output (selfie segmentation, SINet or MODNet layout), found " +
                       std::to_string(model_->inputs().size()) + " and " + std::to_string(model_->outputs().size()));
    const auto& in = model_->inputs()[0].shape;
    const auto& out = model_->outputs()[0].shape;
    if (in[3] == 3 && out.size() == 4 && out[3] == 1) {
        layout_ = Layout::SelfieNhwc;
        in_h_ = static_cast<int>(in[1]), in_w_ = static_cast<int>(in[2]);
        description_ = "selfie segmentation";
    } else if (in[1] == 3 && out.size() == 4 && out[1] == 2) {
        layout_ = Layout::SinetSoftmax;
        in_h_ = static_cast<int>(in[2]), in_w_ = static_cast<int>(in[3]);
        description_ = "SINet portrait segmentation";
    } else if (in[1] == 3 && out.size() == 4 && out[1] == 1) {
        layout_ = Layout::ModnetAlpha;
        in_h_ = static_cast<int>(in[2]), in_w_ = static_cast<int>(in[3]);
        description_ = "MODNet-style matting";
    } else {
        model_->refuse("input " + infer::shape_text(in) + " and output " + infer::shape_text(out) +
                       " match none of the portrait layouts (NHWC [1,H,W,3] -> [1,H,W,1], NCHW [1,3,H,W] -> "
                       "[1,2,H,W] or [1,1,H,W])");
    }
    open_size_ = in_w_ <= 0 || in_h_ <= 0;
    if (open_size_ && layout_ != Layout::ModnetAlpha) model_->refuse("its input size " + infer::shape_text(in) + " is not fixed");
    if (!open_size_) description_.append(" ").append(std::to_string(in_w_)).append("x").append(std::to_string(in_h_));
}

AiMatte::~AiMatte() = default;

double AiMatte::last_ms() const { return model_->last_ms(); }

void AiMatte::estimate(ImageView<const std::uint8_t> rgba) {
    frame_w_ = rgba.width, frame_h_ = rgba.height;
    if (open_size_) {
        const double f = static_cast<double>(kOpenShortSide) / std::min(rgba.width, rgba.height);
        in_w_ = std::max(32, static_cast<int>(std::lround(rgba.width * f / 32)) * 32);
        in_h_ = std::max(32, static_cast<int>(std::lround(rgba.height * f / 32)) * 32);
    }
    // The whole frame squeezed into the input (portrait models are trained on whole pictures;
    // the aspect change is undone by the upsampling).
    const cv::Mat frame(rgba.height, rgba.width, CV_8UC4, const_cast<std::uint8_t*>(rgba.data),
                        static_cast<std::size_t>(rgba.stride));
    cv::Mat small;
    cv::resize(frame, small, cv::Size(in_w_, in_h_), 0, 0, cv::INTER_AREA);
    const std::size_t plane = static_cast<std::size_t>(in_w_) * in_h_;
    const bool nhwc = layout_ == Layout::SelfieNhwc;
    const std::span<float> in = model_->input(nhwc ? std::vector<std::int64_t>{1, in_h_, in_w_, 3}
                                                   : std::vector<std::int64_t>{1, 3, in_h_, in_w_});
    for (int y = 0; y < in_h_; ++y) {
        const std::uint8_t* p = small.ptr<std::uint8_t>(y);
        for (int x = 0; x < in_w_; ++x) {
            const std::size_t i = static_cast<std::size_t>(y) * in_w_ + x;
            for (int c = 0; c < 3; ++c) {
                const float v = p[4 * x + c];
                switch (layout_) {
                case Layout::SelfieNhwc: in[3 * i + c] = v / 255.0f; break;
                case Layout::SinetSoftmax: in[c * plane + i] = (v - kSinetMean[c]) * kSinetScale[c]; break;
                case Layout::ModnetAlpha: in[c * plane + i] = v / 127.5f - 1.0f; break;
                }
            }
        }
    }
    auto out = model_->run();
    const auto info = out[0].GetTensorTypeAndShapeInfo();
    const std::size_t want = plane * (layout_ == Layout::SinetSoftmax ? 2 : 1);
    if (info.GetElementCount() != want)
        model_->refuse("its output has " + std::to_string(info.GetElementCount()) + " values for an input of " +
                       std::to_string(in_w_) + "x" + std::to_string(in_h_) + ", expected " + std::to_string(want));
    const float* m = out[0].GetTensorData<float>();
    low_.reshape(in_w_, in_h_, 1);
    for (int y = 0; y < in_h_; ++y) {
        float* dst = low_.row(y);
        const float* src = m + (layout_ == Layout::SinetSoftmax ? plane : 0) + static_cast<std::size_t>(y) * in_w_;
        for (int x = 0; x < in_w_; ++x) dst[x] = std::clamp(src[x], 0.0f, 1.0f);
    }
    xmap_.resize(static_cast<std::size_t>(frame_w_));
    const float sx = static_cast<float>(in_w_) / frame_w_;
    for (int x = 0; x < frame_w_; ++x) xmap_[x] = std::clamp((x + 0.5f) * sx - 0.5f, 0.0f, in_w_ - 1.0f);
}

void AiMatte::row(int y, float* out) const {
    const float sy = std::clamp((y + 0.5f) * in_h_ / frame_h_ - 0.5f, 0.0f, in_h_ - 1.0f);
    const int y0 = static_cast<int>(sy), y1 = std::min(y0 + 1, in_h_ - 1);
    const float fy = sy - y0;
    const float* a = low_.row(y0);
    const float* b = low_.row(y1);
    for (int x = 0; x < frame_w_; ++x) {
        const float fx = xmap_[x];
        const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, in_w_ - 1);
        const float t = fx - x0;
        const float top = a[x0] + (a[x1] - a[x0]) * t, bottom = b[x0] + (b[x1] - b[x0]) * t;
        out[x] = top + (bottom - top) * fy;
    }
}

}  // namespace keyswap::matte
