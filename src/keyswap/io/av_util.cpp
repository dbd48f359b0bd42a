#include "keyswap/io/av_util.hpp"

#include <cstdlib>
#include <mutex>

namespace keyswap::io::av {

void quiet_logs() {
    static std::once_flag once;
    std::call_once(once, [] {
        const char* env = std::getenv("KEYSWAP_FFMPEG_LOG");
        av_log_set_level(env ? std::atoi(env) : AV_LOG_QUIET);
    });
}

InputPtr open_input(const std::string& path) {
    quiet_logs();
    AVFormatContext* raw = nullptr;
    const int r = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);  // frees raw on failure
    if (r < 0) fail(ErrorKind::Input, "cannot open: not a media file or corrupt (" + error_string(r) + ")", path);
    InputPtr fmt(raw);
    check(avformat_find_stream_info(fmt.get(), nullptr), ErrorKind::Input, "cannot read stream info", path);
    return fmt;
}

}  // namespace keyswap::io::av
