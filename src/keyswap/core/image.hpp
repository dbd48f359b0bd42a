#pragma once
// Image containers shared by every layer.
//
// What this represents: `Image<T>` owns a contiguous, row-major, interleaved pixel buffer
// (channels 1, 3 or 4); `ImageView<T>` is a non-owning window on one (a span over rows).
// Conventions used everywhere in keyswap:
//   * colour frames are 8-bit RGBA, straight (unpremultiplied) alpha, sRGB-encoded;
//   * mattes and masks are single-channel float in [0,1];
//   * rows are contiguous; `stride` is in elements, not bytes.
// Thread safety: views are plain values; distinct threads may write distinct rows.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace keyswap {

template <class T>
struct ImageView {
    T* data = nullptr;
    int width = 0;
    int height = 0;
    int channels = 1;
    std::ptrdiff_t stride = 0;  // elements between the starts of two rows

    bool empty() const { return data == nullptr || width <= 0 || height <= 0; }
    T* row(int y) const {
        assert(y >= 0 && y < height);
        return data + stride * y;
    }
    std::span<T> row_span(int y) const { return {row(y), static_cast<std::size_t>(width) * channels}; }
    T& at(int x, int y, int c = 0) const { return row(y)[static_cast<std::ptrdiff_t>(x) * channels + c]; }
    operator ImageView<const T>() const { return {data, width, height, channels, stride}; }
};

template <class T>
class Image {
public:
    Image() = default;
    Image(int width, int height, int channels, T fill = T{})
        : width_(width), height_(height), channels_(channels),
          pixels_(static_cast<std::size_t>(width) * height * channels, fill) {}

    int width() const { return width_; }
    int height() const { return height_; }
    int channels() const { return channels_; }
    bool empty() const { return pixels_.empty(); }
    std::size_t size() const { return pixels_.size(); }

    T* data() { return pixels_.data(); }
    const T* data() const { return pixels_.data(); }
    T* row(int y) { return pixels_.data() + static_cast<std::size_t>(y) * width_ * channels_; }
    const T* row(int y) const { return pixels_.data() + static_cast<std::size_t>(y) * width_ * channels_; }
    T& at(int x, int y, int c = 0) { return row(y)[static_cast<std::size_t>(x) * channels_ + c]; }
    const T& at(int x, int y, int c = 0) const { return row(y)[static_cast<std::size_t>(x) * channels_ + c]; }

    ImageView<T> view() { return {data(), width_, height_, channels_, static_cast<std::ptrdiff_t>(width_) * channels_}; }
    ImageView<const T> view() const {
        return {data(), width_, height_, channels_, static_cast<std::ptrdiff_t>(width_) * channels_};
    }
    std::vector<T>& pixels() { return pixels_; }
    const std::vector<T>& pixels() const { return pixels_; }

    // Reallocates only when the shape changes, so per-frame buffers are reused in the hot path.
    void reshape(int width, int height, int channels) {
        if (width == width_ && height == height_ && channels == channels_) return;
        width_ = width;
        height_ = height;
        channels_ = channels;
        pixels_.assign(static_cast<std::size_t>(width) * height * channels, T{});
    }
    bool same_shape(const Image& o) const {
        return width_ == o.width_ && height_ == o.height_ && channels_ == o.channels_;
    }

private:
    int width_ = 0;
    int height_ = 0;
    int channels_ = 0;
    std::vector<T> pixels_;
};

using ImageU8 = Image<std::uint8_t>;
using ImageF32 = Image<float>;

// How the source stored colour, for stages that can rebuild what it lost: a 4:2:0 source kept
// one chroma sample per 2x2 block of pixels, 4:2:2 one per 2x1, RGB and 4:4:4 one per pixel.
// kr, kb: the luma weights of the YCbCr matrix it was decoded with, whose luma is the channel
// that kept full resolution (BT.709 unless a decoder says otherwise).
struct ChromaSampling {
    int block_w = 1, block_h = 1;
    float kr = 0.2126f, kb = 0.0722f;
    bool subsampled() const { return block_w * block_h > 1; }
};

// A decoded frame: RGBA8, straight alpha, plus its timing. `has_alpha` says whether the
// source carried a real alpha channel (otherwise A is 255 everywhere).
struct Frame {
    ImageU8 rgba;
    bool has_alpha = false;
    std::int64_t index = 0;        // 0-based position in the input
    double time = 0.0;             // presentation time in seconds
    std::int64_t pts = 0;          // in the stream's time base
    // A frame before the requested range, decoded only so that history-dependent stages
    // (tracks, smoothing, the temporal matte) reach the range's first frame as a run from the
    // start would: processed, never written (see ReaderOptions::warm_up).
    bool warm_up = false;
    ChromaSampling chroma;  // full (1x1) unless the decoder knows otherwise
};

}  // namespace keyswap
