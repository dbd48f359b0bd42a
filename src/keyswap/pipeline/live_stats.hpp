#pragma once
// Live statistics: what a live run did, from the frames' own timestamps.
//
// What this represents: counters and latency samples of one live run. Latency is measured
// per frame from its capture time (when keyswap received it) to its hand-off to the outputs
// (after the pass); each output also records capture -> written (its encode and send
// included). `report(true)` covers the time since the previous windowed report (the periodic
// stderr line), `report(false)` the whole run (the final line and --stats-json).
// Thread safety: every method may be called from any thread (one mutex; calls are per frame).
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keyswap/core/timing.hpp"

namespace keyswap::pipeline {

struct LatencySummary {
    std::int64_t count = 0;
    double p50 = 0, p95 = 0, p99 = 0, max = 0, mean = 0;  // milliseconds
};
// Nearest-rank percentiles of `ms` (reordered).
LatencySummary summarize(std::vector<double>& ms);

struct OutputReport {
    std::string name;
    std::int64_t written = 0, dropped = 0, reconnects = 0;
    double fps = 0;
    double encode_ms = 0;       // mean per written frame (convert + encode + send)
    LatencySummary latency;     // capture -> written
    std::string state = "ok";   // ok | reconnecting | failed: <message>
};

struct LiveReport {
    double seconds = 0;
    double warmup_ms = 0;              // the first frame, processed before the clock started
    std::int64_t captured = 0, processed = 0;
    std::int64_t dropped_capture = 0;  // overwritten in the newest-wins slot
    std::int64_t dropped_late = 0;     // older than --max-latency when the pass reached them
    double fps_in = 0, fps_out = 0;
    LatencySummary latency;            // capture -> hand-off
    std::map<std::string, double> stage_ms;  // mean ms per frame of each stage
    std::vector<OutputReport> outputs;
    std::string text() const;          // two or more lines for stderr
    nlohmann::json json() const;
};

class LiveStats {
public:
    explicit LiveStats(const std::vector<std::string>& output_names);

    void captured(double decode_ms);
    void dropped_capture();
    void dropped_late();
    // One frame through the pass: capture -> hand-off latency, the pass's cumulative stage times.
    void processed(double latency_ms, double pass_ms, const StageTimes& pass_totals);
    void output_written(std::size_t i, double latency_ms, double encode_ms);
    void output_dropped(std::size_t i);
    void output_state(std::size_t i, const std::string& state, bool reconnect = false);

    LiveReport report(bool window);

private:
    struct Counters {
        std::int64_t captured = 0, processed = 0, dropped_capture = 0, dropped_late = 0;
        double decode_ms = 0, pass_ms = 0;
        StageTimes stages;
        std::vector<std::int64_t> written, dropped;
        std::vector<double> encode_ms;
    };
    LiveReport make(const Counters& now, const Counters& base, std::vector<double>& latency,
                    std::vector<std::vector<double>>& out_latency, double seconds) const;

    std::mutex m_;
    std::vector<std::string> names_;
    std::vector<std::string> states_;
    std::vector<std::int64_t> reconnects_;
    Counters total_, window_base_;
    std::vector<double> latency_all_, latency_window_;
    std::vector<std::vector<double>> out_all_, out_window_;
    std::chrono::steady_clock::time_point start_, window_start_;
};

}  // namespace keyswap::pipeline
