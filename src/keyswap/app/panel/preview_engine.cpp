#include "keyswap/app/panel/preview_engine.hpp"

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "keyswap/core/error.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/io/live_input.hpp"
#include "keyswap/pipeline/frame_pass.hpp"
#include "keyswap/pipeline/live_run.hpp"

namespace keyswap::app::panel {

using Clock = std::chrono::steady_clock;

struct PreviewEngine::State {
    mutable std::mutex m;
    mutable std::condition_variable changed;
    pipeline::Settings settings;
    std::uint64_t settings_version = 1;
    std::string input;
    std::vector<std::string> outputs;
    Picture picture;
    pipeline::LiveReport report;  // the newest one-second window
    std::string error;
    bool started = false, ended = false;
    std::atomic<bool> stop{false};
    std::thread run;
};

namespace {

// One live run: its pass follows the engine's settings and publishes each frame.
void run_once(const std::shared_ptr<PreviewEngine::State>& s, pipeline::LiveJob job) {
    std::unique_ptr<pipeline::FramePass> pass;
    io::MediaInfo info;
    io::OutputFormat as_output;
    as_output.extension = "live";
    as_output.codec_key = "live";
    as_output.alpha = true;
    std::uint64_t version = 0;

    auto make = [&info, &as_output](const pipeline::Settings& settings) {
        pipeline::PassConfig config = settings.pass;
        if (config.face) config.face->background_detect = true;  // a full-frame search must not stall the preview
        auto next = std::make_unique<pipeline::FramePass>(config, ThreadPool::shared());
        next->start(info, as_output);
        return next;
    };
    // A new pass (a new photo, another detector) is built beside the running one, which keeps
    // the preview moving with the old look until the new pass is ready.
    std::future<std::unique_ptr<pipeline::FramePass>> building;
    auto take_built = [&] {
        if (!building.valid() || building.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
        std::string problem;
        try {
            pass = building.get();
        } catch (const std::exception& e) {
            problem = e.what();
        }
        std::lock_guard lock(s->m);
        s->error = problem;
    };
    // Settings changed since the last frame: live where the pass can, else a new pass; a
    // snapshot it cannot use leaves the previous look and says why.
    auto follow = [&] {
        take_built();
        pipeline::Settings want;
        {
            std::lock_guard lock(s->m);
            if (s->settings_version == version || building.valid()) return;  // one build at a time
            version = s->settings_version;
            want = s->settings;
        }
        std::string problem;
        try {
            pipeline::PassConfig config = want.pass;
            if (config.face) config.face->background_detect = true;
            if (!pass->update(config).empty()) building = std::async(std::launch::async, make, want);
        } catch (const std::exception& e) {
            problem = e.what();
        }
        std::lock_guard lock(s->m);
        s->error = problem;
    };

    pipeline::LiveWork work;
    work.start = [&](const io::MediaInfo& in, const std::vector<io::LiveOutputSpec>& outs) {
        info = in;
        pipeline::Settings first;
        {
            std::lock_guard lock(s->m);
            first = s->settings;
            version = s->settings_version;
        }
        pass = make(first);
        pipeline::require_alpha_outputs(pass->makes_transparency(in.has_alpha), outs,
                                        "set a background (Output group)");
        {
            std::lock_guard lock(s->m);
            s->started = true;
        }
        s->changed.notify_all();
    };
    work.process = [&](Frame& f, io::SteadyTime) {
        follow();
        auto original = std::make_shared<const ImageU8>(f.rgba);
        pass->process(f);
        auto result = std::make_shared<const ImageU8>(f.rgba);
        {
            std::lock_guard lock(s->m);
            s->picture.original = std::move(original);
            s->picture.result = std::move(result);
            ++s->picture.serial;
        }
        s->changed.notify_all();
    };
    work.times = [&] { return pass ? pass->times() : StageTimes{}; };

    job.stop = &s->stop;
    job.quiet = true;
    job.stats_every_s = 1.0;
    job.on_report = [&](const pipeline::LiveReport& r) {
        std::lock_guard lock(s->m);
        s->report = r;
    };
    std::string problem;
    try {
        pipeline::run_live(job, work);
    } catch (const std::exception& e) {
        problem = e.what();
    }
    {
        std::lock_guard lock(s->m);
        if (!problem.empty()) s->error = problem;
        s->ended = true;
    }
    s->changed.notify_all();
}

}  // namespace

PreviewEngine::PreviewEngine(pipeline::Settings initial) : s_(std::make_shared<State>()) {
    s_->settings = std::move(initial);
}

PreviewEngine::~PreviewEngine() { stop_run(); }

void PreviewEngine::stop_run() {
    s_->stop = true;
    if (s_->run.joinable()) s_->run.join();
    s_->stop = false;
}

void PreviewEngine::open(const std::string& input, const std::vector<std::string>& outputs) {
    stop_run();
    pipeline::LiveJob job;
    job.input = input;
    job.outputs = {"null:"};
    job.outputs.insert(job.outputs.end(), outputs.begin(), outputs.end());
    if (io::LiveInput::kind_of(input) == io::LiveInputKind::File) {
        job.input_options.realtime = true;  // a file plays like a camera, again and again
        job.input_options.loop = true;
    }
    job.keep_audio = !outputs.empty();
    job.encode.recording = settings().encode;
    pipeline::parse_outputs(job);  // a bad output is refused before anything opens
    std::uint64_t serial = 0;
    {
        std::lock_guard lock(s_->m);
        s_->input = input;
        s_->outputs = outputs;
        s_->error.clear();
        s_->started = s_->ended = false;
        s_->report = {};
        serial = s_->picture.serial;
    }
    s_->run = std::thread([s = s_, job] { run_once(s, job); });
    // Until the first frame is through (or the run has ended): an input the pass cannot work
    // on (no screen to key, say) is refused here, not found later in the stats.
    std::unique_lock lock(s_->m);
    s_->changed.wait_for(lock, std::chrono::seconds(30), [&] { return s_->picture.serial > serial || s_->ended; });
    if (s_->ended && !s_->error.empty()) {
        const std::string why = s_->error;
        lock.unlock();
        stop_run();
        throw Error(ErrorKind::Input, why);
    }
}

void PreviewEngine::set_outputs(const std::vector<std::string>& outputs) { open(input(), outputs); }

void PreviewEngine::apply(const pipeline::Settings& settings) {
    std::lock_guard lock(s_->m);
    s_->settings = settings;
    ++s_->settings_version;
}

pipeline::Settings PreviewEngine::settings() const {
    std::lock_guard lock(s_->m);
    return s_->settings;
}

Picture PreviewEngine::latest() const {
    std::lock_guard lock(s_->m);
    return s_->picture;
}

Picture PreviewEngine::wait_newer(std::uint64_t serial, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(s_->m);
    s_->changed.wait_for(lock, timeout, [&] { return s_->picture.serial > serial || s_->ended; });
    return s_->picture;
}

std::string PreviewEngine::input() const {
    std::lock_guard lock(s_->m);
    return s_->input;
}

std::vector<std::string> PreviewEngine::outputs() const {
    std::lock_guard lock(s_->m);
    return s_->outputs;
}

std::string PreviewEngine::error() const {
    std::lock_guard lock(s_->m);
    return s_->error;
}

bool PreviewEngine::running() const {
    std::lock_guard lock(s_->m);
    return s_->started && !s_->ended;
}

nlohmann::json PreviewEngine::stats() const {
    std::lock_guard lock(s_->m);
    const auto& r = s_->report;
    nlohmann::json j;
    j["fps"] = r.fps_out;
    j["frames"] = s_->picture.serial;
    j["dropped"] = r.dropped_capture + r.dropped_late;
    j["latency_ms"] = {{"p50", r.latency.p50}, {"p95", r.latency.p95}, {"p99", r.latency.p99}};
    j["stages_ms"] = r.stage_ms;
    j["input"] = s_->input;
    const auto& pic = s_->picture.original;
    j["width"] = pic ? pic->width() : 0;
    j["height"] = pic ? pic->height() : 0;
    j["running"] = s_->started && !s_->ended;
    nlohmann::json outs = nlohmann::json::array();
    for (const auto& o : r.outputs)
        if (o.name != "null:") outs.push_back({{"name", o.name}, {"written", o.written}, {"state", o.state}});
    j["live"] = {{"running", !s_->outputs.empty() && s_->started && !s_->ended}, {"outputs", outs}};
    j["error"] = s_->error;
    return j;
}

}  // namespace keyswap::app::panel
