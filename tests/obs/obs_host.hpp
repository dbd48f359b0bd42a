#pragma once
// A headless OBS for the plugin's tests and benchmark: libobs started on the X display in
// $DISPLAY (Xvfb) with OpenGL (Mesa's llvmpipe there), video at a given canvas size and
// 48 kHz stereo audio, keyswap-obs.so loaded as OBS loads plugins, and OBS's own image and
// media source modules when Debian's obs-studio is installed.
#include <obs.h>

#include <cstdint>
#include <string>
#include <vector>

namespace keyswap::obs_test {

class ObsHost {
public:
    // Fails with a message (ok() false, error() says why) instead of throwing. `fps` is the
    // canvas's frame rate: OBS ticks sources and runs async filters once per canvas frame.
    ObsHost(int width, int height, const std::string& keyswap_module, const std::string& keyswap_data,
            int fps = 30);
    ~ObsHost();  // obs_shutdown
    ObsHost(const ObsHost&) = delete;
    ObsHost& operator=(const ObsHost&) = delete;

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    bool real_sources() const { return real_sources_; }  // image_source and ffmpeg_source

private:
    void* display_ = nullptr;
    std::string error_;
    bool real_sources_ = false;
};

// Renders `source` (with its filters) into a w x h texture in OBS's graphics context and reads
// it back as RGBA: what OBS's output shows of it (OBS's own raw-output pipeline gives no frames
// on a virtual display). Empty when the read-back failed.
std::vector<std::uint8_t> render_source(obs_source_t* source, int w, int h);

// The filter's "keyswap_stats" procedure.
struct FilterStats {
    long long processed = 0, dropped = 0, from_cpu = 0, read_back = 0;
    double latency_ms = 0.0, pass_ms = 0.0, convert_ms = 0.0;
};
FilterStats stats_of(obs_source_t* filter);

}  // namespace keyswap::obs_test
