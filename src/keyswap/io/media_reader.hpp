#pragma once
// Decodes any input FFmpeg can read (video files, still images, printf-pattern image
// sequences) into RGBA8 frames with the right colour matrix and range, and hands out the
// input's audio packets so the writer can carry them to the output.
//
// Thread safety: one thread at a time. Errors: keyswap::Error(Input) naming the file.
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>

#include "keyswap/core/image.hpp"
#include "keyswap/io/media_info.hpp"

struct AVPacket;
struct AVCodecParameters;

namespace keyswap::io {

struct ReaderOptions {
    std::int64_t first_frame = 0;    // frames before this are decoded and dropped
    std::int64_t last_frame = -1;    // inclusive; -1 = to the end
    // Up to this many frames just before first_frame are delivered with Frame::warm_up set
    // (their pts negative, their times continuous with the range's), the others dropped.
    std::int64_t warm_up = 0;
    bool want_audio = true;          // collect audio packets for passthrough
    double sequence_fps = 25.0;      // frame rate assumed for image sequences
};

// One compressed audio packet from the input, with the time base it is stamped in.
struct AudioPacket {
    std::shared_ptr<AVPacket> packet;
};

// Frames larger than this on either side are refused before anything is allocated for them.
inline constexpr int kMaxFrameSide = 16384;

class MediaReader {
public:
    explicit MediaReader(const std::filesystem::path& path, ReaderOptions options = {});
    ~MediaReader();
    MediaReader(const MediaReader&) = delete;
    MediaReader& operator=(const MediaReader&) = delete;

    const MediaInfo& info() const;

    // Decodes the next frame in range into `out` (buffers reused). Returns false at the end.
    // Frame times are shifted so the first frame of the range starts at 0.
    bool read(Frame& out);

    // Audio packets met so far (within the frame range, re-stamped to start at 0); moved out.
    std::deque<AudioPacket> take_audio();
    // The audio stream's codec parameters and time base (nullptr if none or not wanted).
    const AVCodecParameters* audio_parameters() const;
    int audio_tb_num() const;
    int audio_tb_den() const;
    // Time of the range's first frame in seconds (audio is cut from here).
    double range_start() const;
    // Time of the first frame after the range, once read() has met it; -1 while unknown or
    // when the range runs to the end of the file.
    double range_end() const;
    std::int64_t frames_read() const;
    // Audio packets read but not yet taken (bounded while frames before the range are skipped).
    std::size_t audio_backlog() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Reads one still image (the first frame of whatever `path` is) as RGBA8.
Frame read_image(const std::filesystem::path& path);

// Probes without decoding more than needed (counts frames when the container doesn't say).
MediaInfo probe(const std::filesystem::path& path, bool count_frames = false);

}  // namespace keyswap::io
