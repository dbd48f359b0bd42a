#pragma once
// The fused pass beside OBS's render loop: the filter hands over the newest frame it has and
// draws the newest result there is; it never waits for the pass. A frame that arrives while
// the previous one is still waiting is replaced (newest wins) and counted as dropped.
//
// Settings arrive as whole snapshots (update() on OBS's UI thread); the worker applies them
// between two frames: what can change live goes through FramePass::update, anything else
// (a new source photo, another detector) rebuilds the pass on the worker, so OBS's threads
// never load a model. A snapshot the pass cannot use leaves the previous one running and
// its message readable through error().
// Thread safety: every public member may be called from any thread.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "keyswap/core/image.hpp"
#include "keyswap/io/yuv_convert.hpp"
#include "keyswap/pipeline/settings.hpp"

namespace keyswap::obs {

struct WorkerStats {
    std::uint64_t submitted = 0, processed = 0, dropped = 0;
    double last_latency_ms = 0.0;  // submit -> result of the newest result
    double mean_pass_ms = 0.0;     // running mean of the pass alone
    double mean_convert_ms = 0.0;  // running mean of the capture layout -> RGBA conversion
    double fps = 0.0;              // results per second (running mean of their intervals)
};

class FilterWorker {
public:
    FilterWorker();
    ~FilterWorker();  // stops and joins; a frame in the pass finishes first
    FilterWorker(const FilterWorker&) = delete;
    FilterWorker& operator=(const FilterWorker&) = delete;

    void configure(std::shared_ptr<const pipeline::Settings> settings);
    void submit(ImageU8 rgba);
    // A frame in its capture layout, converted on the worker (at its priority, with its pool)
    // so OBS's render thread, which runs async filters, only pays for the copy.
    void submit(io::PlaneCopy planes, const io::YuvMatrix& matrix);
    // A copy the worker has converted, to assign() the next frame into (empty at first): the
    // render thread then pays neither an allocation nor a zero-fill per frame.
    io::PlaneCopy recycled_planes();
    // The newest processed frame (straight RGBA), null before the first.
    std::shared_ptr<const ImageU8> latest() const;
    std::uint64_t result_serial() const;  // changes with each new result
    // Draw the stats on each result from the next one on (stats_overlay.hpp).
    void show_stats(bool on);
    std::string error() const;            // "" while the settings in use are good
    WorkerStats stats() const;

private:
    void run();
    struct State;
    std::unique_ptr<State> s_;
    std::thread thread_;
};

}  // namespace keyswap::obs
