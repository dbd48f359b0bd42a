#pragma once
// What `keyswap probe` reports about an input, and what the writer needs to mirror it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace keyswap::io {

struct MediaInfo {
    std::string path;
    std::string container;      // demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    bool is_image = false;      // a single still image
    bool is_sequence = false;   // a printf-pattern image sequence
    int width = 0;
    int height = 0;
    int fps_num = 0, fps_den = 1;   // average frame rate (0/1 if unknown)
    int tb_num = 1, tb_den = 1;     // the video stream's time base
    bool variable_frame_rate = false;
    std::int64_t frames = 0;    // exact when the container says so, otherwise estimated
    double duration = 0.0;      // seconds
    std::string video_codec;
    std::string pixel_format;
    bool has_alpha = false;
    std::string color_matrix;   // "bt709", "bt601", ... ("unknown" when unset)
    std::string color_range;    // "tv" (limited) or "pc" (full)
    bool has_audio = false;
    std::string audio_codec;
    int audio_rate = 0;
    int audio_channels = 0;

    double fps() const { return fps_den ? double(fps_num) / fps_den : 0.0; }
    nlohmann::json to_json() const;
    std::string to_text() const;
};

}  // namespace keyswap::io
