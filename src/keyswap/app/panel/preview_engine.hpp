#pragma once
// The web panel's picture: one live run (pipeline::run_live, the code `keyswap live` runs) on
// the panel's input, whose pass also publishes each frame before and after, for the preview.
//
// What this represents: the input (a file played at its own rate and looped, a camera or a
// stream), the settings in use and any live outputs the user started. Settings changes are
// taken between two frames: what can change live through FramePass::update, anything else (a
// new source photo, another detector) by building a new pass on the pass thread, so the old
// look stays until the new one is ready. Changing the input or the outputs restarts the run.
// Thread safety: every public member may be called from any thread (the HTTP server's).
// Errors: open() throws Error for an input that cannot be opened; later failures (an input
// lost, settings the pass refuses) are kept and read with error().
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keyswap/core/image.hpp"
#include "keyswap/pipeline/settings.hpp"

namespace keyswap::app::panel {

struct Picture {
    std::shared_ptr<const ImageU8> original, result;  // straight RGBA; null before the first frame
    std::uint64_t serial = 0;                          // grows with each processed frame
};

class PreviewEngine {
public:
    explicit PreviewEngine(pipeline::Settings initial);
    ~PreviewEngine();  // stops the run and joins its threads
    PreviewEngine(const PreviewEngine&) = delete;
    PreviewEngine& operator=(const PreviewEngine&) = delete;

    // (Re)starts on `input` with `outputs` (as `keyswap live -o`; none = preview only). Waits
    // until the first frame is through or the run has failed, and throws its Error then.
    void open(const std::string& input, const std::vector<std::string>& outputs = {});
    void set_outputs(const std::vector<std::string>& outputs);  // restarts on the same input
    void apply(const pipeline::Settings& settings);             // taken before the next frame

    pipeline::Settings settings() const;
    Picture latest() const;
    // Waits up to `timeout` for a frame newer than `serial`; the newest picture either way.
    Picture wait_newer(std::uint64_t serial, std::chrono::milliseconds timeout) const;
    std::string input() const;
    std::vector<std::string> outputs() const;
    std::string error() const;  // "" while all is well
    bool running() const;
    // fps, frames, dropped, latency percentiles, per-stage ms, input, size, outputs.
    nlohmann::json stats() const;

    struct State;  // shared with the run's threads (preview_engine.cpp)

private:
    void stop_run();
    std::shared_ptr<State> s_;
};

}  // namespace keyswap::app::panel
