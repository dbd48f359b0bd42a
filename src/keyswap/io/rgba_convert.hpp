#pragma once
// Colour conversion between decoded/encoded FFmpeg frames and keyswap's RGBA8 frames.
// YUV inputs are converted with the matrix (BT.601/709/2020) and range (limited/full) the
// stream declares; when it declares none, HD sizes are taken as BT.709 and SD as BT.601,
// which is what players do. The scaler context is rebuilt only when the format changes.
#include <string>

#include "keyswap/core/image.hpp"
#include "keyswap/io/av_util.hpp"

namespace keyswap::io {

class RgbaConverter {
public:
    // Converts `src` into `out` (reshaped to src's size, 4 channels).
    void to_rgba(const AVFrame* src, ImageU8& out, const std::string& path);
    // How the last converted frame stored chroma (subsampling and the matrix's luma weights).
    const ChromaSampling& sampling() const { return sampling_; }

private:
    av::SwsPtr sws_;
    ChromaSampling sampling_;
    int w_ = 0, h_ = 0, fmt_ = -1, cs_ = -1, range_ = -1;
};

class RgbaEncoderConverter {
public:
    // Prepares conversion RGBA8 (w x h) -> `dst_fmt` with the matrix/range the encoder declares.
    void configure(int width, int height, AVPixelFormat dst_fmt, AVColorSpace cs, AVColorRange range);
    // Converts `src` (RGBA8, straight alpha) into `dst` (allocated by the caller in dst_fmt).
    void convert(const ImageU8& src, AVFrame* dst);

private:
    av::SwsPtr sws_;
};

// The matrix to write for a frame size when the user does not choose: BT.709 for HD.
AVColorSpace default_matrix(int width, int height);

}  // namespace keyswap::io
