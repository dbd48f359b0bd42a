#pragma once
// The live path: capture -> newest-wins slot -> fused pass -> one queue per output.
//
// What this represents: one live run. Threads:
//   capture  reads the input (camera, stream, paced file), stamps each frame with its capture
//            time and puts it in a one-frame slot (an overwritten frame is counted as dropped);
//            hands the input's audio straight to the outputs that carry it; reconnects a
//            network input with back-off;
//   pass     takes the newest frame, skips it when older than max_latency_ms, runs the work,
//            and hands the result (shared, not copied) to every output's queue;
//   outputs  one thread each with a small queue that drops its oldest frame when the output
//            is slow, so one slow receiver never stalls the others; a network output whose
//            receiver goes away is reopened with back-off;
//   caller   prints stats every stats_every_s, watches for SIGINT/SIGTERM, the duration, the
//            end of the input, and outputs that failed for good.
// Whatever ends the run, outputs are flushed and closed properly (recordings are kept) and
// the final report is returned.
// Errors: an input that cannot be opened or an output that cannot be created throws before
// the first frame; an error while running (input lost for good, every output failed) stops
// the run and is rethrown after the clean shutdown.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/core/timing.hpp"
#include "keyswap/io/live_input.hpp"
#include "keyswap/io/live_output.hpp"
#include "keyswap/io/media_info.hpp"
#include "keyswap/pipeline/live_stats.hpp"

namespace keyswap::pipeline {

struct LiveJob {
    std::string input;
    io::LiveInputOptions input_options;
    std::vector<std::string> outputs;
    io::LiveEncodeOptions encode;
    int queue_depth = 2;           // frames waiting per output before the oldest is dropped
    double max_latency_ms = 0;     // 0 = no bound
    double stats_every_s = 5;      // 0 = only the final report
    double duration_s = 0;         // 0 = until the input ends or a signal
    int reconnect_tries = 5;       // network input/outputs: attempts before giving up (0 = none)
    bool keep_audio = true;
    bool quiet = false;            // no periodic stats (the final report is still returned)
    // A front end that owns the run (the web panel): set *stop to end it as Ctrl-C would, and
    // receive each windowed report (every stats_every_s) on the caller's thread.
    const std::atomic<bool>* stop = nullptr;
    std::function<void(const LiveReport&)> on_report;
};

// Called on the pass thread. `start` once, with the input's description and the parsed
// outputs, before any frame (it may refuse, e.g. a transparent result to an output without
// alpha); `process` per frame, with the frame's capture time; `times` returns the pass's
// cumulative stage times.
struct LiveWork {
    std::function<void(const io::MediaInfo& input, const std::vector<io::LiveOutputSpec>& outputs)> start;
    std::function<void(Frame&, io::SteadyTime captured)> process;
    std::function<StageTimes()> times;
};

// Refuses, with Error(Usage) naming the output, an output without an alpha channel when the
// result is transparent; `give_background` says how this front end sets a background
// ("give --background ...", "set a background (Output group)").
void require_alpha_outputs(bool transparent, const std::vector<io::LiveOutputSpec>& outputs,
                           const std::string& give_background);

// Parses every --output (clear errors before anything opens).
std::vector<io::LiveOutputSpec> parse_outputs(const LiveJob& job);

// Returns the whole run's report. When the run ends on an error, `final_report` (if given)
// receives the report first, then the error is rethrown.
LiveReport run_live(const LiveJob& job, const LiveWork& work, LiveReport* final_report = nullptr);

}  // namespace keyswap::pipeline
