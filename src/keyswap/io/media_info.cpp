#include "keyswap/io/media_info.hpp"

#include <fmt/format.h>

namespace keyswap::io {

nlohmann::json MediaInfo::to_json() const {
    nlohmann::json j = {{"path", path},
                        {"container", container},
                        {"image", is_image},
                        {"sequence", is_sequence},
                        {"width", width},
                        {"height", height},
                        {"fps", fps()},
                        {"fps_rational", fmt::format("{}/{}", fps_num, fps_den)},
                        {"variable_frame_rate", variable_frame_rate},
                        {"frames", frames},
                        {"duration", duration},
                        {"video_codec", video_codec},
                        {"pixel_format", pixel_format},
                        {"alpha", has_alpha},
                        {"color_matrix", color_matrix},
                        {"color_range", color_range},
                        {"audio", has_audio}};
    if (has_audio) {
        j["audio_codec"] = audio_codec;
        j["audio_rate"] = audio_rate;
        j["audio_channels"] = audio_channels;
    }
    return j;
}

std::string MediaInfo::to_text() const {
    std::string s = fmt::format("{}\n  container  {}\n  size       {}x{}\n", path, container, width, height);
    if (!is_image)
        s += fmt::format("  fps        {:.3f}{}\n  frames     {}\n  duration   {:.3f} s\n", fps(),
                         variable_frame_rate ? " (variable)" : "", frames, duration);
    s += fmt::format("  video      {} ({}, {} {}){}\n", video_codec, pixel_format, color_matrix, color_range,
                     has_alpha ? ", alpha" : "");
    s += has_audio ? fmt::format("  audio      {} {} Hz, {} ch\n", audio_codec, audio_rate, audio_channels)
                   : std::string("  audio      none\n");
    return s;
}

}  // namespace keyswap::io
