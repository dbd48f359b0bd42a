#pragma once
// Encodes RGBA8 frames (and the input's audio) into any output keyswap supports.
//
// What this represents: one output file being written. It is written under a temporary
// name next to the final one and renamed only by `finish()`; destroying a writer that was
// not finished removes the temporary file, so an interrupted or failed run never leaves a
// partial output under the final name. Image sequences are written file by file, each
// atomically.
// Thread safety: one thread at a time. Errors: keyswap::Error(Output/Usage) naming the file.
#include <filesystem>
#include <vector>
#include <memory>
#include <string>

#include "keyswap/core/image.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/output_format.hpp"

namespace keyswap::io {

struct VideoParams {
    int width = 0;
    int height = 0;
    int fps_num = 25, fps_den = 1;  // nominal rate (for encoders that need one)
    int tb_num = 1, tb_den = 25;    // time base of Frame::pts
};

struct AudioSource {
    const AVCodecParameters* params = nullptr;  // nullptr = no audio
    int tb_num = 1, tb_den = 1;
};

class MediaWriter {
public:
    MediaWriter(const std::filesystem::path& path, const VideoParams& video, const EncodeOptions& options = {},
                const AudioSource& audio = {});
    ~MediaWriter();
    MediaWriter(const MediaWriter&) = delete;
    MediaWriter& operator=(const MediaWriter&) = delete;

    const OutputFormat& format() const;
    bool has_audio() const;  // the output got an audio stream

    // Encodes one frame; pts in the VideoParams time base (non-increasing ones are nudged).
    void write(const Frame& frame);
    // Copies or re-encodes input audio packets (time base of AudioSource).
    void write_audio(const AudioPacket& packet);
    // Flushes the encoders, writes the trailer and renames the file to its final name.
    void finish();
    std::int64_t frames_written() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Writes a single image (PNG, WebP, TIFF, JPEG) atomically.
void write_image(const std::filesystem::path& path, const Frame& frame, const EncodeOptions& options = {});

// True when writing `output` may replace a file `input` names. Either may be a file or a
// printf pattern of an image sequence (frames_%04d.png): a pattern stands for every existing
// file it matches, and an output pattern covers any file of its folder that fits it. Links,
// "./", ".." and hard links count as the same file. Paths that do not exist yet are compared
// by their normalised absolute names.
bool may_overwrite(const std::filesystem::path& output, const std::filesystem::path& input);

// Throws Error(Usage) if writing `output` would replace any of `inputs` (every file the run
// reads: the input, photos, masks, background), Error(Output) if its folder does not exist or
// is not writable. Call before anything is written.
void check_output_path(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& output);
inline void check_output_path(const std::filesystem::path& input, const std::filesystem::path& output) {
    check_output_path(std::vector<std::filesystem::path>{input}, output);
}

}  // namespace keyswap::io
