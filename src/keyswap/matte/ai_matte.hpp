#pragma once
// A person matte from a portrait segmentation model, for people without a green screen.
//
// What this represents: one ONNX segmentation model (infer/OnnxModel) run on a shrunk copy of
// each frame, giving a low-resolution foreground probability that the keyer upsamples and then
// refines at full resolution with the same guided filter and temporal smoothing as a key.
// Layouts, told apart by the model's signature:
//   * MediaPipe selfie segmentation: NHWC [1,H,W,3] input in 0..1, output [1,H,W,1];
//   * SINet (softmax): NCHW [1,3,H,W] input normalised per channel, output [1,2,H,W]
//     (channel 1 = person);
//   * MODNet-style: NCHW [1,3,H,W] input in -1..1, output [1,1,H,W] alpha (open H and W are
//     set from the frame: short side 512, multiples of 32);
//   * RVM (Robust Video Matting): NCHW src in 0..1 plus four recurrent states and a
//     downsample ratio in, fgr, pha and the four next states out; the states are fed back
//     frame to frame (temporal memory inside the model) and start again at zeros on reset()
//     or when the frame size changes.
// Anything else is refused with Error(Model) naming the file and what was expected.
// Thread safety: one per keyer (the model reuses its buffers).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keyswap/core/image.hpp"

namespace keyswap::infer {
class OnnxModel;
}

namespace keyswap::matte {

class AiMatte {
public:
    explicit AiMatte(const std::string& path);
    ~AiMatte();

    // Runs the model on `rgba` (4 channels). Afterwards `row` gives its matte.
    void estimate(ImageView<const std::uint8_t> rgba);
    // Row y of the matte upsampled (bilinear) to the frame the last estimate() saw, in [0,1].
    void row(int y, float* out) const;
    // "selfie segmentation 256x256" etc., for the key report.
    const std::string& description() const { return description_; }
    double last_ms() const;
    // A new clip or a cut: recurrent models forget what they saw.
    void reset();

private:
    enum class Layout { SelfieNhwc, SinetSoftmax, ModnetAlpha, Rvm };
    void feed_states();
    // RVM: input indices of src, the states and the ratio; output indices of pha and the states.
    std::size_t src_in_ = 0, ratio_in_ = 0, pha_out_ = 0;
    std::array<std::size_t, 4> state_in_{}, state_out_{};
    std::array<std::vector<float>, 4> state_;
    std::array<std::vector<std::int64_t>, 4> state_shape_;
    std::unique_ptr<infer::OnnxModel> model_;
    Layout layout_ = Layout::SelfieNhwc;
    int in_w_ = 0, in_h_ = 0;        // network input size for this frame
    bool open_size_ = false;         // H and W left open by the model
    int frame_w_ = 0, frame_h_ = 0;  // the frame of the last estimate
    ImageF32 low_;                   // the model's matte, in_w_ x in_h_
    std::vector<float> xmap_;        // per frame column: source x in low_ (bilinear)
    std::string description_;
};

}  // namespace keyswap::matte
