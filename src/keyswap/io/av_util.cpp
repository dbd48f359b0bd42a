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

}  // namespace keyswap::io::av
