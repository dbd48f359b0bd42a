#pragma once
// Writes already-encoded video packets (and the input's audio) into an output file without
// re-encoding them: the stitch of chunks that were encoded in the output's own codec.
//
// What this represents: one output file being written, under a temporary name that
// `finish()` renames (io::MuxedFile), like MediaWriter. The packets' stream set-up is fixed
// at construction; every packet must fit it (io::same_stream_setup).
// Thread safety: one thread. Errors: keyswap::Error(Output/Usage) naming the file.
#include <cstdint>
#include <filesystem>
#include <memory>

#include "keyswap/io/media_writer.hpp"

struct AVPacket;
struct AVCodecParameters;

namespace keyswap::io {

class PacketWriter {
public:
    // Packets come in the time base tb_num/tb_den; fps is the nominal rate for the container.
    // `alpha_layer`: the packets carry an alpha layer beside the picture (VP9 in WebM).
    PacketWriter(const std::filesystem::path& path, const AVCodecParameters& video, int tb_num, int tb_den, int fps_num,
                 int fps_den, bool alpha_layer, const EncodeOptions& options = {}, const AudioSource& audio = {});
    ~PacketWriter();
    PacketWriter(const PacketWriter&) = delete;
    PacketWriter& operator=(const PacketWriter&) = delete;

    bool has_audio() const;
    // Writes a copy of the packet. Decode times that do not increase (two encodes meeting at
    // a chunk boundary) are nudged forward, never past the packet's presentation time.
    void write(const AVPacket& packet);
    void write_audio(const AudioPacket& packet);
    void finish();
    std::int64_t packets_written() const;

    // Whether packets of `video` can go into `path` as they are: the codec that output would
    // be encoded in, in a container that takes it.
    static bool can_copy(const AVCodecParameters& video, const std::filesystem::path& path, const EncodeOptions& options);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace keyswap::io
