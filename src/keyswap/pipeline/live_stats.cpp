#include "keyswap/pipeline/live_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace keyswap::pipeline {

using Clock = std::chrono::steady_clock;

LatencySummary summarize(std::vector<double>& ms) {
    LatencySummary s;
    s.count = static_cast<std::int64_t>(ms.size());
    if (ms.empty()) return s;
    std::sort(ms.begin(), ms.end());
    auto rank = [&](double p) {
        const auto i = static_cast<std::size_t>(std::ceil(p * double(ms.size()))) - 1;
        return ms[std::min(i, ms.size() - 1)];
    };
    s.p50 = rank(0.50);
    s.p95 = rank(0.95);
    s.p99 = rank(0.99);
    s.max = ms.back();
    double sum = 0;
    for (double v : ms) sum += v;
    s.mean = sum / double(ms.size());
    return s;
}

LiveStats::LiveStats(const std::vector<std::string>& output_names)
    : names_(output_names), states_(output_names.size(), "ok"), reconnects_(output_names.size(), 0),
      out_all_(output_names.size()), out_window_(output_names.size()), start_(Clock::now()), window_start_(start_) {
    for (auto* c : {&total_, &window_base_}) {
        c->written.assign(names_.size(), 0);
        c->dropped.assign(names_.size(), 0);
        c->encode_ms.assign(names_.size(), 0.0);
    }
}

void LiveStats::captured(double decode_ms) {
    std::lock_guard lock(m_);
    ++total_.captured;
    total_.decode_ms += decode_ms;
}
void LiveStats::dropped_capture() {
    std::lock_guard lock(m_);
    ++total_.dropped_capture;
}
void LiveStats::dropped_late() {
    std::lock_guard lock(m_);
    ++total_.dropped_late;
}
void LiveStats::processed(double latency_ms, double pass_ms, const StageTimes& pass_totals) {
    std::lock_guard lock(m_);
    ++total_.processed;
    total_.pass_ms += pass_ms;
    total_.stages = pass_totals;
    latency_all_.push_back(latency_ms);
    latency_window_.push_back(latency_ms);
}
void LiveStats::output_written(std::size_t i, double latency_ms, double encode_ms) {
    std::lock_guard lock(m_);
    ++total_.written[i];
    total_.encode_ms[i] += encode_ms;
    out_all_[i].push_back(latency_ms);
    out_window_[i].push_back(latency_ms);
}
void LiveStats::output_dropped(std::size_t i) {
    std::lock_guard lock(m_);
    ++total_.dropped[i];
}
void LiveStats::output_state(std::size_t i, const std::string& state, bool reconnect) {
    std::lock_guard lock(m_);
    states_[i] = state;
    if (reconnect) ++reconnects_[i];
}

LiveReport LiveStats::make(const Counters& now, const Counters& base, std::vector<double>& latency,
                           std::vector<std::vector<double>>& out_latency, double seconds) const {
    LiveReport r;
    r.seconds = seconds;
    r.captured = now.captured - base.captured;
    r.processed = now.processed - base.processed;
    r.dropped_capture = now.dropped_capture - base.dropped_capture;
    r.dropped_late = now.dropped_late - base.dropped_late;
    const double s = std::max(1e-9, seconds);
    r.fps_in = double(r.captured) / s;
    r.fps_out = double(r.processed) / s;
    r.latency = summarize(latency);
    if (r.captured > 0) r.stage_ms["capture"] = (now.decode_ms - base.decode_ms) / double(r.captured);
    if (r.processed > 0) r.stage_ms["pass"] = (now.pass_ms - base.pass_ms) / double(r.processed);
    for (const auto& [name, total] : now.stages.total_ms) {
        const auto bt = base.stages.total_ms.find(name);
        const auto bc = base.stages.count.find(name);
        const double dt = total - (bt == base.stages.total_ms.end() ? 0.0 : bt->second);
        const long dc = now.stages.count.at(name) - (bc == base.stages.count.end() ? 0L : bc->second);
        if (dc > 0) r.stage_ms[name] = dt / double(dc);
    }
    for (std::size_t i = 0; i < names_.size(); ++i) {
        OutputReport o;
        o.name = names_[i];
        o.written = now.written[i] - base.written[i];
        o.dropped = now.dropped[i] - base.dropped[i];
        o.reconnects = reconnects_[i];
        o.fps = double(o.written) / s;
        o.encode_ms = o.written > 0 ? (now.encode_ms[i] - base.encode_ms[i]) / double(o.written) : 0.0;
        o.latency = summarize(out_latency[i]);
        o.state = states_[i];
        r.outputs.push_back(std::move(o));
    }
    return r;
}

LiveReport LiveStats::report(bool window) {
    std::lock_guard lock(m_);
    const auto now = Clock::now();
    if (!window) {
        std::vector<double> lat = latency_all_;
        std::vector<std::vector<double>> out = out_all_;
        Counters zero;
        zero.written.assign(names_.size(), 0);
        zero.dropped.assign(names_.size(), 0);
        zero.encode_ms.assign(names_.size(), 0.0);
        return make(total_, zero, lat, out, std::chrono::duration<double>(now - start_).count());
    }
    LiveReport r = make(total_, window_base_, latency_window_, out_window_,
                        std::chrono::duration<double>(now - window_start_).count());
    window_base_ = total_;
    window_start_ = now;
    latency_window_.clear();
    for (auto& v : out_window_) v.clear();
    return r;
}

std::string LiveReport::text() const {
    char buf[512];
    std::string t;
    std::snprintf(buf, sizeof buf,
                  "%.1f s: in %.1f fps, out %.1f fps, dropped %lld (newest wins) + %lld (late); latency capture->hand-off "
                  "p50 %.1f p95 %.1f p99 %.1f max %.1f ms\n",
                  seconds, fps_in, fps_out, static_cast<long long>(dropped_capture), static_cast<long long>(dropped_late),
                  latency.p50, latency.p95, latency.p99, latency.max);
    t += buf;
    if (warmup_ms > 0) {
        std::snprintf(buf, sizeof buf, "  warm-up (first frame, before the clock): %.0f ms\n", warmup_ms);
        t += buf;
    }
    std::string stages = "  stages (ms):";
    for (const auto& [name, ms] : stage_ms) {
        std::snprintf(buf, sizeof buf, " %s %.1f", name.c_str(), ms);
        stages += buf;
    }
    t += stages + "\n";
    for (const auto& o : outputs) {
        std::snprintf(buf, sizeof buf, "  %s: %.1f fps, %lld written, %lld dropped, encode %.1f ms, capture->sent p50 %.1f p99 %.1f ms%s%s\n",
                      o.name.c_str(), o.fps, static_cast<long long>(o.written), static_cast<long long>(o.dropped), o.encode_ms,
                      o.latency.p50, o.latency.p99, o.state == "ok" ? "" : ", ", o.state == "ok" ? "" : o.state.c_str());
        t += buf;
    }
    return t;
}

static nlohmann::json latency_json(const LatencySummary& l) {
    return {{"count", l.count}, {"p50_ms", l.p50}, {"p95_ms", l.p95}, {"p99_ms", l.p99}, {"max_ms", l.max}, {"mean_ms", l.mean}};
}

nlohmann::json LiveReport::json() const {
    nlohmann::json j;
    j["seconds"] = seconds;
    j["warmup_ms"] = warmup_ms;
    j["frames_in"] = captured;
    j["frames_out"] = processed;
    j["fps_in"] = fps_in;
    j["fps_out"] = fps_out;
    j["dropped_newest_wins"] = dropped_capture;
    j["dropped_late"] = dropped_late;
    j["latency_capture_to_handoff"] = latency_json(latency);
    j["stage_ms"] = stage_ms;
    j["outputs"] = nlohmann::json::array();
    for (const auto& o : outputs)
        j["outputs"].push_back({{"name", o.name},
                                {"written", o.written},
                                {"dropped", o.dropped},
                                {"reconnects", o.reconnects},
                                {"fps", o.fps},
                                {"encode_ms", o.encode_ms},
                                {"latency_capture_to_sent", latency_json(o.latency)},
                                {"state", o.state}});
    return j;
}

}  // namespace keyswap::pipeline
