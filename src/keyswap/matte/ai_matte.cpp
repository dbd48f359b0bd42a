#include "keyswap/matte/ai_matte.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"
#include "keyswap/infer/onnx_model.hpp"

namespace keyswap::matte {

namespace {
int find(const std::vector<infer::TensorInfo>& list, const std::string& name) {
    for (std::size_t i = 0; i < list.size(); ++i)
        if (list[i].name == name) return static_cast<int>(i);
    return -1;
}
// RVM's backbone works on the input shrunk by this ratio (the short side of a 512-pixel input
// becomes 256, its authors' advice for portrait video).
constexpr float kRvmRatio = 0.5f;

// The portrait SINet's input as it was exported (0..255 RGB minus a per-channel mean, divided by
// 255 times a per-channel deviation): found by trying the usual normalisations on portraits;
// only this one segments them (the others lose the person or keep the backdrop).
constexpr float kSinetMean[3] = {102.890434f, 111.25247f, 126.91212f};
constexpr float kSinetScale[3] = {1.0f / (62.93292f * 255.0f), 1.0f / (62.82138f * 255.0f), 1.0f / (66.355705f * 255.0f)};
constexpr int kOpenShortSide = 512;
}  // namespace

AiMatte::AiMatte(const std::string& path)
    : model_(std::make_unique<infer::OnnxModel>(path, "portrait matting", 0)) {
    if (find(model_->inputs(), "downsample_ratio") >= 0) {
        // RVM: found by its names, the layout it is known by.
        const auto& ins = model_->inputs();
        const auto& outs = model_->outputs();
        const int src = find(ins, "src"), pha = find(outs, "pha");
        if (ins.size() != 6 || outs.size() != 6 || src < 0 || pha < 0)
            model_->refuse("expected RVM's inputs src, r1i..r4i, downsample_ratio and outputs fgr, pha, r1o..r4o");
        src_in_ = static_cast<std::size_t>(src);
        ratio_in_ = static_cast<std::size_t>(find(ins, "downsample_ratio"));
        pha_out_ = static_cast<std::size_t>(pha);
        for (int k = 0; k < 4; ++k) {
            const std::string state{'r', static_cast<char>('1' + k)};
            const int i = find(ins, state + 'i'), o = find(outs, state + 'o');
            if (i < 0 || o < 0) model_->refuse("RVM's recurrent state " + state + "i/o is missing");
            state_in_[k] = static_cast<std::size_t>(i);
            state_out_[k] = static_cast<std::size_t>(o);
        }
        model_->expect_float_input(src_in_, 4);
        layout_ = Layout::Rvm;
        open_size_ = true;
        description_ = "RVM video matting (recurrent)";
        reset();
        return;
    }
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

void AiMatte::reset() {
    for (int k = 0; k < 4; ++k) {
        state_[k].assign(1, 0.0f);
        state_shape_[k] = {1, 1, 1, 1};
    }
}

void AiMatte::feed_states() {
    for (int k = 0; k < 4; ++k) {
        auto in = model_->input(state_in_[k], state_shape_[k]);
        std::copy(state_[k].begin(), state_[k].end(), in.begin());
    }
    auto ratio = model_->input(ratio_in_, {1});
    ratio[0] = kRvmRatio;
}

void AiMatte::estimate(ImageView<const std::uint8_t> rgba) {
    if (layout_ == Layout::Rvm && (rgba.width != frame_w_ || rgba.height != frame_h_)) reset();
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
    const std::span<float> in = model_->input(src_in_, nhwc ? std::vector<std::int64_t>{1, in_h_, in_w_, 3}
                                                            : std::vector<std::int64_t>{1, 3, in_h_, in_w_});
    if (layout_ == Layout::Rvm) feed_states();
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
                case Layout::Rvm: in[c * plane + i] = v / 255.0f; break;
                }
            }
        }
    }
    auto out = model_->run();
    if (layout_ == Layout::Rvm) {
        for (int k = 0; k < 4; ++k) {
            const Ort::Value& st = out[state_out_[k]];
            const auto si = st.GetTensorTypeAndShapeInfo();
            state_shape_[k] = si.GetShape();
            const float* d = st.GetTensorData<float>();
            state_[k].assign(d, d + si.GetElementCount());
        }
        std::swap(out[0], out[pha_out_]);  // the matte is read from out[0] below
    }
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
