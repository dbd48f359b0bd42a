#pragma once
// Frame numbers in paths and on the command line: one place for both.
//
// A frame pattern is a path whose file name holds exactly one printf integer conversion,
// %d or %0Nd (N <= 12), as FFmpeg's image2 reader and writer take it. Only the file name is
// looked at: a '%' in a folder name, or a '%' that is not such a conversion (e.g.
// "50%_mix.png"), leaves a plain file. `%%` is not supported (FFmpeg's image2 reads it, but
// no keyswap user has asked for it).
//
// A frame range is "A-B" (inclusive, 0-based, like FFmpeg's between(n,A,B)), "A-" (to the
// end) or "N" (that one frame); `process --frames` and `faces --frames` take the same syntax.
// Thread safety: pure functions.
#include <cstdint>
#include <filesystem>
#include <string>

namespace keyswap::io {

struct FramePattern {
    std::size_t at = 0;    // offset of the '%' in the whole path
    std::size_t size = 0;  // length of the conversion ("%04d" = 4)
    int width = 0;         // 0 = no padding
    bool zero = false;     // pad with zeros (else spaces)
};

// The pattern of `path`, or nothing when its file name holds no valid conversion.
// Throws Error(Usage) naming the path when the file name holds a conversion-like '%' that is
// malformed in a way that would surprise (two conversions, a width over 12).
bool find_frame_pattern(const std::filesystem::path& path, FramePattern* out = nullptr);
inline bool is_frame_pattern(const std::filesystem::path& path) { return find_frame_pattern(path); }

// The path of frame `index`. Requires: is_frame_pattern(pattern).
std::string expand_frame_pattern(const std::filesystem::path& pattern, std::int64_t index);

// Whether `file_name` (a file name, no folder) is what the pattern's file name expands to
// for some frame number.
bool matches_frame_pattern(const std::filesystem::path& pattern, const std::string& file_name);

struct FrameRange {
    std::int64_t first = 0;
    std::int64_t last = -1;  // inclusive; -1 = to the end
};

// Parses "A-B", "A-", "N" or "" (everything). Throws Error(Usage) naming `flag`.
FrameRange parse_frame_range(const std::string& text, const std::string& flag = "--frames");

}  // namespace keyswap::io
