#pragma once
// RAII owners and error helpers for FFmpeg's C objects, private to io/.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/imgutils.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

#include "keyswap/core/error.hpp"

namespace keyswap::io::av {

struct FrameDeleter { void operator()(AVFrame* f) const { av_frame_free(&f); } };
struct PacketDeleter { void operator()(AVPacket* p) const { av_packet_free(&p); } };
struct CodecDeleter { void operator()(AVCodecContext* c) const { avcodec_free_context(&c); } };
struct SwsDeleter { void operator()(SwsContext* s) const { sws_freeContext(s); } };
struct SwrDeleter { void operator()(SwrContext* s) const { swr_free(&s); } };
struct FifoDeleter { void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); } };
struct InputDeleter { void operator()(AVFormatContext* f) const { avformat_close_input(&f); } };

using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;
using FifoPtr = std::unique_ptr<AVAudioFifo, FifoDeleter>;
using InputPtr = std::unique_ptr<AVFormatContext, InputDeleter>;

inline FramePtr make_frame() {
    FramePtr f(av_frame_alloc());
    if (!f) throw std::bad_alloc();
    return f;
}
inline PacketPtr make_packet() {
    PacketPtr p(av_packet_alloc());
    if (!p) throw std::bad_alloc();
    return p;
}

inline std::string error_string(int err) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(err, buf, sizeof buf);
    return buf;
}

// Throws keyswap::Error when an FFmpeg call returned a negative code.
inline int check(int ret, ErrorKind kind, const std::string& what, const std::string& path) {
    if (ret < 0) {
        if (ret == AVERROR(ENOSPC)) fail(ErrorKind::Output, what + ": disk full", path);
        fail(kind, what + ": " + error_string(ret), path);
    }
    return ret;
}

// Silences FFmpeg's own logging unless asked (keyswap prints one clear line per error).
void quiet_logs();

// Opens a media file by its contents and reads its stream info (logs quietened). Throws
// Error(Input) naming the file when it is not a media file or is corrupt.
InputPtr open_input(const std::string& path);

}  // namespace keyswap::io::av
