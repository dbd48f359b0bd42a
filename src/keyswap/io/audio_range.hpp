#pragma once
// The input's audio between two times, without decoding the video: what a stitched output
// carries, cut exactly as a single run's reader cuts it (the packet that straddles the start
// is kept so there is no silent gap; times restamped to start at 0).
// Thread safety: one thread. Errors: keyswap::Error(Input) naming the file.
#include <filesystem>
#include <memory>
#include <optional>

#include "keyswap/io/media_reader.hpp"

namespace keyswap::io {

class AudioRange {
public:
    // `end` < 0: to the end of the file. A file without audio gives no packets and no params.
    AudioRange(const std::filesystem::path& path, double start, double end);
    ~AudioRange();
    AudioRange(const AudioRange&) = delete;
    AudioRange& operator=(const AudioRange&) = delete;

    const AVCodecParameters* params() const;  // nullptr: no audio
    int tb_num() const;
    int tb_den() const;
    // The next packet in range (restamped), nullopt at the end.
    std::optional<AudioPacket> next();
    // Time, seconds from the range's start, of the packet next() would return (+inf at the end).
    double next_time();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace keyswap::io
