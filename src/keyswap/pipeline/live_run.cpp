#include "keyswap/pipeline/live_run.hpp"

#include <atomic>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "keyswap/core/error.hpp"
#include "keyswap/pipeline/bounded_queue.hpp"
#include "keyswap/pipeline/interrupt.hpp"
#include "keyswap/pipeline/thread_handoff.hpp"
#include "keyswap/pipeline/live_slot.hpp"


namespace keyswap::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(io::SteadyTime t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Captured {
    Frame frame;
    io::SteadyTime at{};
};

void say(const std::string& line) { std::fprintf(stderr, "keyswap: %s\n", line.c_str()); }

// Sleeps up to `seconds`, waking early when `stop` is set. False if stopped.
bool backoff(double seconds, const std::atomic<bool>& stop) {
    const auto until = Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (Clock::now() < until) {
        if (stop) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return !stop;
}

// One output: its own thread, a drop-oldest queue of finished frames, and the input's audio.
class OutputWorker {
public:
    OutputWorker(std::size_t index, const io::LiveOutputSpec& spec, const LiveJob& job, const io::VideoParams& vp,
                 const io::AudioSource& audio, LiveStats& stats, const std::atomic<bool>& stop)
        : index_(index), spec_(spec), job_(job), vp_(vp), audio_src_(audio), stats_(stats), stop_(stop),
          queue_(static_cast<std::size_t>(std::max(1, job.queue_depth))) {
        // Open now so a bad output is reported before the first frame; a listening output
        // waits for its receiver in its own thread instead.
        if (spec_.target.find("listen") == std::string::npos) open();
        thread_ = std::thread([this] { run(); });
    }
    ~OutputWorker() { join(); }

    void push(std::shared_ptr<const Captured> item) {
        if (failed_) return;
        if (queue_.push_latest(std::move(item))) stats_.output_dropped(index_);
    }
    void push_audio(const io::AudioPacket& p) {
        if (!spec_.audio || failed_) return;
        std::lock_guard lock(audio_m_);
        audio_.push_back(p);
        if (audio_.size() > 1000) audio_.pop_front();  // a stuck output must not grow memory
    }
    void close() { queue_.close(); }
    void join() {
        close();
        if (thread_.joinable()) thread_.join();
    }
    bool failed() const { return failed_; }
    std::string error() const {
        std::lock_guard lock(audio_m_);
        return error_;
    }

private:
    void open() {
        sink_ = std::make_unique<io::LiveSink>(spec_, vp_, job_.encode, job_.keep_audio ? audio_src_ : io::AudioSource{}, &stop_,
                                               job_.input_options.timeout_s);
    }

    void give_up(const std::string& message) {
        {
            std::lock_guard lock(audio_m_);
            error_ = message;
        }
        failed_ = true;
        stats_.output_state(index_, "failed: " + message);
        say(message);
    }

    // A network output that fails is reopened with back-off; any other fails for good.
    // A listening output (OBS connects to it) waits for its receiver as long as the run lasts.
    void lost(const Error& e) {
        sink_.reset();
        const bool listening = spec_.target.find("listen") != std::string::npos;
        if (!spec_.network || (!listening && tries_ >= job_.reconnect_tries)) {
            give_up(e.what());
            return;
        }
        const double wait = listening ? 0.2 : std::min(8.0, 0.5 * (1 << std::min(tries_, 4)));
        if (!listening) ++tries_;
        retry_at_ = Clock::now() + std::chrono::milliseconds(static_cast<int>(wait * 1000));
        stats_.output_state(index_, listening ? "waiting for its receiver" : "reconnecting", !listening);
        if (listening && e.detail().rfind("no receiver connected", 0) == 0) return;  // still waiting: no news
        char buf[64];
        std::snprintf(buf, sizeof buf, "; reopening in %.1f s", wait);
        say(std::string(e.what()) + buf);
    }

    void write_audio() {
        std::deque<io::AudioPacket> pending;
        {
            std::lock_guard lock(audio_m_);
            pending.swap(audio_);
        }
        if (!sink_) return;
        for (auto& p : pending) sink_->write_audio(p);
    }

    void run() {
        while (auto item = queue_.pop()) {
            if (failed_) continue;
            try {
                if (!sink_) {
                    if (Clock::now() < retry_at_) {
                        stats_.output_dropped(index_);
                        continue;
                    }
                    open();
                    stats_.output_state(index_, "ok");
                }
                write_audio();
                const double age = ms_since((*item)->at);
                if (job_.max_latency_ms > 0 && age > job_.max_latency_ms) {
                    stats_.output_dropped(index_);
                    continue;
                }
                Stopwatch sw;
                sink_->write((*item)->frame);
                const double enc = sw.ms();
                tries_ = 0;
                stats_.output_written(index_, ms_since((*item)->at), enc);
            } catch (const Error& e) {
                if (e.kind() == ErrorKind::Usage) give_up(e.what());
                else lost(e);
            } catch (const std::exception& e) {
                give_up(spec_.text + ": " + e.what());
            }
        }
        if (sink_ && !failed_) {
            try {
                write_audio();
                sink_->finish();
            } catch (const Error& e) {
                give_up(e.what());
            }
        }
        sink_.reset();
    }

    std::size_t index_;
    io::LiveOutputSpec spec_;
    const LiveJob& job_;
    io::VideoParams vp_;
    io::AudioSource audio_src_;
    LiveStats& stats_;
    const std::atomic<bool>& stop_;
    BoundedQueue<std::shared_ptr<const Captured>> queue_;
    mutable std::mutex audio_m_;
    std::deque<io::AudioPacket> audio_;
    std::string error_;
    std::unique_ptr<io::LiveSink> sink_;
    std::atomic<bool> failed_{false};
    int tries_ = 0;
    Clock::time_point retry_at_{};
    std::thread thread_;
};

}  // namespace

std::vector<io::LiveOutputSpec> parse_outputs(const LiveJob& job) {
    if (job.outputs.empty()) fail(ErrorKind::Usage, "give at least one --output (v4l2:/dev/videoN, a URL, or a file)");
    std::vector<io::LiveOutputSpec> out;
    for (const auto& o : job.outputs) out.push_back(io::parse_live_output(o, job.encode));
    return out;
}

void require_alpha_outputs(bool transparent, const std::vector<io::LiveOutputSpec>& outputs,
                           const std::string& give_background) {
    if (!transparent) return;
    for (const auto& o : outputs)
        if (o.kind != io::LiveOutputKind::Null && !o.alpha)
            fail(ErrorKind::Usage,
                 "the keyed result is transparent but this output has no alpha channel; " + give_background +
                     " or use an output that keeps alpha (webm:, mkv:, nut:)",
                 o.text);
}

LiveReport run_live(const LiveJob& job, const LiveWork& work, LiveReport* final_report) {
    const auto specs = parse_outputs(job);
    std::atomic<bool> stop{false};
    auto input = std::make_unique<io::LiveInput>(job.input, job.input_options, &stop);
    const io::MediaInfo info = input->info();
    if (work.start) work.start(info, specs);

    io::VideoParams vp;
    vp.width = info.width;
    vp.height = info.height;
    vp.fps_num = info.fps_num > 0 ? info.fps_num : 30;
    vp.fps_den = info.fps_num > 0 ? info.fps_den : 1;
    vp.tb_num = 1;
    vp.tb_den = 1000;  // frames carry pts in ms on the input's clock
    io::AudioSource audio;
    if (job.keep_audio) {
        audio.params = input->audio_parameters();
        audio.tb_num = input->audio_tb_num();
        audio.tb_den = input->audio_tb_den();
    }

    // Warm-up: the first frame's one-time work (models' first run, the keyer's screen estimate,
    // buffers) happens before the live clock starts instead of stalling the first live frame.
    // That frame is not sent; its audio is.
    double warm_ms = 0;
    std::deque<io::AudioPacket> warm_audio;
    {
        Frame first;
        io::SteadyTime at;
        Stopwatch sw;
        if (!input->read(first, at)) fail(ErrorKind::Input, "contains no video frames", job.input);
        work.process(first, at);
        warm_ms = sw.ms();
        warm_audio = input->take_audio();
    }

    std::vector<std::string> names;
    for (const auto& s : specs) names.push_back(s.text);
    LiveStats stats(names);
    FramePool pool{12};
    ErrorSlot error;
    NewestSlot<Captured> slot;
    std::vector<std::unique_ptr<OutputWorker>> outputs;
    for (std::size_t i = 0; i < specs.size(); ++i)
        outputs.push_back(std::make_unique<OutputWorker>(i, specs[i], job, vp, audio, stats, stop));
    std::atomic<bool> input_ended{false};
    for (auto& p : warm_audio)
        for (auto& o : outputs) o->push_audio(p);

    std::thread capture([&] {
        int tries = 0;
        double last_time = 0;  // a reconnected stream's clock continues from here
        const double step = 1.0 / std::max(1.0, info.fps());
        try {
            while (!stop) {
                Captured c;
                c.frame = pool.take();
                bool got = false;
                try {
                    got = input->read(c.frame, c.at);
                } catch (const Error& e) {
                    if (e.kind() == ErrorKind::Interrupted || stop) break;
                    if (input->kind() != io::LiveInputKind::Network || tries >= job.reconnect_tries) throw;
                    say(std::string(e.what()) + "; reconnecting");
                }
                if (!got) {
                    if (input->kind() != io::LiveInputKind::Network || stop) break;
                    // The sender closed or stalled: reconnect with back-off.
                    bool back = false;
                    while (!back && tries < job.reconnect_tries) {
                        const double wait = std::min(8.0, 0.5 * (1 << std::min(tries, 4)));
                        ++tries;
                        if (!backoff(wait, stop)) break;
                        try {
                            io::LiveInputOptions again = job.input_options;
                            again.clock_offset_s = last_time + step;
                            input = std::make_unique<io::LiveInput>(job.input, again, &stop);
                            if (input->info().width != info.width || input->info().height != info.height)
                                fail(ErrorKind::Input, "the stream came back at another size", job.input);
                            back = true;
                            say(job.input + ": reconnected");
                        } catch (const Error& e) {
                            if (e.kind() == ErrorKind::Interrupted || stop) break;
                            if (e.kind() == ErrorKind::Input && e.detail().find("another size") != std::string::npos) throw;
                            say(std::string(e.what()) + " (attempt " + std::to_string(tries) + " of " +
                                std::to_string(job.reconnect_tries) + ")");
                        }
                    }
                    if (!back) {
                        if (!stop)
                            fail(ErrorKind::Input,
                                 "stream lost; gave up after " + std::to_string(job.reconnect_tries) + " reconnection attempts",
                                 job.input);
                        break;
                    }
                    continue;
                }
                tries = 0;
                last_time = c.frame.time;
                stats.captured(input->last_read_ms());
                auto packets = input->take_audio();
                for (auto& p : packets)
                    for (auto& o : outputs) o->push_audio(p);
                if (auto old = slot.put(std::move(c))) {
                    stats.dropped_capture();
                    pool.give(std::move(old->frame));
                }
            }
        } catch (...) {
            error.set(std::current_exception());
        }
        input_ended = true;
        slot.close();
    });

    std::thread pass([&] {
        try {
            while (auto c = slot.take()) {
                if (job.max_latency_ms > 0 && ms_since(c->at) > job.max_latency_ms) {
                    stats.dropped_late();
                    pool.give(std::move(c->frame));
                    continue;
                }
                Stopwatch sw;
                try {
                    work.process(c->frame, c->at);
                } catch (const Error& e) {
                    if (!e.path().empty()) throw;
                    throw Error(e.kind(), e.detail() + " (frame " + std::to_string(c->frame.index) + ")", job.input);
                }
                const double pass_ms = sw.ms();
                auto shared = std::shared_ptr<Captured>(new Captured(std::move(*c)), [&pool](Captured* p) {
                    pool.give(std::move(p->frame));
                    delete p;
                });
                for (auto& o : outputs) o->push(shared);
                stats.processed(ms_since(shared->at), pass_ms, work.times ? work.times() : StageTimes{});
            }
        } catch (...) {
            error.set(std::current_exception());
            stop = true;
        }
        for (auto& o : outputs) o->close();
    });

    const auto started = Clock::now();
    auto next_stats = started + std::chrono::milliseconds(static_cast<int>(job.stats_every_s * 1000));
    while (!input_ended && !error.has()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (interrupt_requested() || (job.stop && *job.stop)) break;
        if (job.duration_s > 0 && Clock::now() - started > std::chrono::duration<double>(job.duration_s)) break;
        bool all_failed = true;
        for (auto& o : outputs) all_failed = all_failed && o->failed();
        if (all_failed) {
            error.set(std::make_exception_ptr(Error(ErrorKind::Output, "every output failed (last: " + outputs.back()->error() + ")")));
            break;
        }
        if ((!job.quiet || job.on_report) && job.stats_every_s > 0 && Clock::now() >= next_stats) {
            const LiveReport window = stats.report(true);
            if (!job.quiet) std::fputs(window.text().c_str(), stderr);
            if (job.on_report) job.on_report(window);
            next_stats += std::chrono::milliseconds(static_cast<int>(job.stats_every_s * 1000));
        }
    }
    stop = true;
    capture.join();
    pass.join();
    for (auto& o : outputs) o->join();
    LiveReport report = stats.report(false);
    report.warmup_ms = warm_ms;
    if (final_report) *final_report = report;
    error.rethrow();
    return report;
}

}  // namespace keyswap::pipeline
