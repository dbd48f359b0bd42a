#pragma once
// Carries the input's audio into the output: a plain remux when the output container
// accepts the codec, otherwise a re-encode (AAC, or Opus for WebM) through libswresample.
#include <memory>
#include <string>

#include "keyswap/io/av_util.hpp"

namespace keyswap::io {

class AudioCarry {
public:
    // Adds the audio stream to `out`. `encoder` is used only when the codec can't be copied.
    AudioCarry(AVFormatContext* out, const AVCodecParameters* in, AVRational in_tb, const std::string& encoder,
               const std::string& path);
    ~AudioCarry();
    AudioCarry(const AudioCarry&) = delete;
    AudioCarry& operator=(const AudioCarry&) = delete;

    bool copying() const;
    // Call after avformat_write_header (stream time bases are final only then).
    void write(AVPacket* packet);
    void flush();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace keyswap::io
