#pragma once
// Picks the container, codec and pixel format of an output from its extension and the
// user's overrides (--codec, --crf/--quality, --preset). One table: adding a format is one row.
#include <filesystem>
#include <string>
#include <vector>

#include "keyswap/core/params.hpp"

namespace keyswap::io {

struct EncodeOptions {
    std::string codec;      // "" = the extension's default; h264, h265, vp9, prores, qtrle, ffv1, png, ...
    int crf = -1;           // -1 = codec default (x264/x265/vp9)
    int quality = -1;       // 0-100 for images (WebP/JPEG); -1 = lossless / default
    std::string preset;     // x264/x265 preset, "" = our default
};

// Keys: "codec", "crf", "quality", "preset".
const ParamTable<EncodeOptions>& encode_params();

struct OutputFormat {
    std::string extension;  // lower case, with the dot
    std::string muxer;      // FFmpeg muxer name
    std::string codec_key;  // our short name
    std::string encoder;    // FFmpeg encoder name
    std::string pix_fmt;    // encoder input pixel format
    bool alpha = false;     // carries transparency
    bool still = false;     // image files (one per frame)
    bool sequence = false;  // path is a printf pattern: one file per frame
    std::string audio_encoder;  // used when input audio cannot be copied ("" = no audio)
};

// Throws Error(Usage) naming the path for unknown extensions and codecs that don't fit.
OutputFormat choose_output_format(const std::filesystem::path& path, const EncodeOptions& options);

// "png, webp, tif, jpg, mp4, mkv, mov, webm" for messages and --help.
std::string known_output_extensions();

}  // namespace keyswap::io
