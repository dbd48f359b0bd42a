#pragma once
// A file's video stream as encoded packets, in decode order, without decoding them: what a
// stitch copies when the chunks are already in the output's codec.
// Thread safety: one thread. Errors: keyswap::Error(Input) naming the file.
#include <cstdint>
#include <filesystem>
#include <memory>

struct AVPacket;
struct AVCodecParameters;

namespace keyswap::io {

class VideoPackets {
public:
    explicit VideoPackets(const std::filesystem::path& path);
    ~VideoPackets();
    VideoPackets(const VideoPackets&) = delete;
    VideoPackets& operator=(const VideoPackets&) = delete;

    const AVCodecParameters* params() const;
    int tb_num() const;
    int tb_den() const;
    bool alpha_layer() const;  // an alpha layer travels beside the picture (VP9 in WebM/MKV)
    // The next video packet (valid until the next call), nullptr at the end of the file.
    AVPacket* next();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Whether two streams' packets can follow each other in one stream: same codec, size, pixel
// format, alpha layer and codec set-up (extradata: H.264's SPS and PPS, FFV1's slice layout).
bool same_stream_setup(const VideoPackets& a, const VideoPackets& b);

// The video frames of a file counted from its packets, without decoding: seconds for an hour
// of footage where decoding it would take as long as playing it.
std::int64_t count_video_packets(const std::filesystem::path& path);

}  // namespace keyswap::io
