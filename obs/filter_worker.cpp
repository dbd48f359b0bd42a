#include "filter_worker.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "keyswap/core/error.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/io/media_reader.hpp"
#include "stats_overlay.hpp"

namespace keyswap::obs {

using Clock = std::chrono::steady_clock;

namespace {

// OBS's render loop and its sources must keep their frame rate; the pass may drop frames
// (newest wins). So the worker runs at a lower priority, and on Linux every thread it creates
// (its row pool, the face analyser's, the runtime's) inherits that nice value. On a machine
// with spare cores this changes nothing; on a busy one OBS is served first.
void run_behind_obs() {
#ifdef __linux__
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    const int now = ::getpriority(PRIO_PROCESS, tid);
    ::setpriority(PRIO_PROCESS, tid, std::min(now + 10, 19));  // best effort: unprivileged lowering
#endif
}

}  // namespace

struct FilterWorker::State {
    mutable std::mutex m;
    std::condition_variable wake;
    bool stop = false;
    // The newest frame not yet taken: RGBA, or planes still to convert with `matrix`.
    std::optional<ImageU8> pending;
    std::optional<io::PlaneCopy> pending_planes;
    io::PlaneCopy spare_planes;  // converted, its storage free for the next frame
    io::YuvMatrix matrix;
    Clock::time_point pending_at;
    std::shared_ptr<const pipeline::Settings> settings;
    std::uint64_t settings_version = 0;
    // Mutable here so the worker can reuse a result's pixels once nobody holds it any more;
    // readers only ever see it as const.
    std::shared_ptr<ImageU8> result;
    std::uint64_t serial = 0;
    std::string error;
    WorkerStats stats;
    bool show_stats = false;
    Clock::time_point last_result_at;
};

FilterWorker::FilterWorker() : s_(std::make_unique<State>()) { thread_ = std::thread([this] { run(); }); }

FilterWorker::~FilterWorker() {
    {
        std::lock_guard lock(s_->m);
        s_->stop = true;
    }
    s_->wake.notify_all();
    if (thread_.joinable()) thread_.join();
}

void FilterWorker::configure(std::shared_ptr<const pipeline::Settings> settings) {
    {
        std::lock_guard lock(s_->m);
        s_->settings = std::move(settings);
        ++s_->settings_version;
    }
    s_->wake.notify_all();
}

void FilterWorker::submit(ImageU8 rgba) {
    {
        std::lock_guard lock(s_->m);
        if (s_->pending || s_->pending_planes) ++s_->stats.dropped;
        s_->pending = std::move(rgba);
        s_->pending_planes.reset();
        s_->pending_at = Clock::now();
        ++s_->stats.submitted;
    }
    s_->wake.notify_all();
}

void FilterWorker::submit(io::PlaneCopy planes, const io::YuvMatrix& matrix) {
    {
        std::lock_guard lock(s_->m);
        if (s_->pending || s_->pending_planes) ++s_->stats.dropped;
        s_->pending.reset();
        if (s_->pending_planes) s_->spare_planes = std::move(*s_->pending_planes);
        s_->pending_planes = std::move(planes);
        s_->matrix = matrix;
        s_->pending_at = Clock::now();
        ++s_->stats.submitted;
    }
    s_->wake.notify_all();
}

io::PlaneCopy FilterWorker::recycled_planes() {
    std::lock_guard lock(s_->m);
    return std::exchange(s_->spare_planes, io::PlaneCopy{});
}

std::shared_ptr<const ImageU8> FilterWorker::latest() const {
    std::lock_guard lock(s_->m);
    return s_->result;
}

std::uint64_t FilterWorker::result_serial() const {
    std::lock_guard lock(s_->m);
    return s_->serial;
}

void FilterWorker::show_stats(bool on) {
    std::lock_guard lock(s_->m);
    s_->show_stats = on;
}

std::string FilterWorker::error() const {
    std::lock_guard lock(s_->m);
    return s_->error;
}

WorkerStats FilterWorker::stats() const {
    std::lock_guard lock(s_->m);
    return s_->stats;
}

void FilterWorker::run() {
    run_behind_obs();
    // The pass's own pool, created here so its threads inherit the lower priority (the shared
    // pool belongs to OBS's other users of the library and keeps theirs).
    ThreadPool pool(0);
    std::unique_ptr<pipeline::FramePass> pass;
    std::uint64_t seen = 0;
    int width = 0, height = 0;
    std::shared_ptr<const pipeline::Settings> in_use;
    // Results the filter has replaced. A 720p frame is 3.6 MB: allocating, zero-filling and
    // page-faulting a fresh one per frame cost about as much CPU as converting it, so the
    // worker converts into the pixels of a result that OBS no longer draws.
    std::vector<std::shared_ptr<ImageU8>> retired;
    const auto take_buffer = [&retired] {
        for (auto& r : retired)
            // Only the worker can reach a retired result (the filter's copy was replaced), so a
            // count of one cannot rise while we look.
            if (r.use_count() == 1) return std::exchange(r, nullptr);
        return std::make_shared<ImageU8>();
    };
    for (;;) {
        ImageU8 image;
        std::optional<io::PlaneCopy> planes;
        io::YuvMatrix matrix;
        Clock::time_point submitted;
        std::shared_ptr<const pipeline::Settings> settings;
        bool changed = false;
        {
            std::unique_lock lock(s_->m);
            s_->wake.wait(lock, [&] { return s_->stop || s_->pending || s_->pending_planes; });
            if (s_->stop) return;
            if (s_->pending) image = std::move(*s_->pending);
            planes = std::move(s_->pending_planes);
            matrix = s_->matrix;
            s_->pending.reset();
            s_->pending_planes.reset();
            submitted = s_->pending_at;
            changed = s_->settings_version != seen;
            seen = s_->settings_version;
            settings = s_->settings;
        }
        if (!settings) continue;
        std::erase(retired, nullptr);
        std::shared_ptr<ImageU8> buffer = take_buffer();
        if (planes) image = std::move(*buffer);
        double convert_ms = -1.0;
        ChromaSampling sampling;  // a texture (sync source) arrives as full-chroma RGBA
        if (planes) {
            const auto tc = Clock::now();
            try {
                sampling = io::chroma_sampling(planes->view().layout, matrix);
                io::to_rgba(planes->view(), matrix, image, &pool);
            } catch (const std::exception& e) {
                std::lock_guard lock(s_->m);
                s_->error = e.what();
                continue;
            }
            convert_ms = std::chrono::duration<double, std::milli>(Clock::now() - tc).count();
            std::lock_guard lock(s_->m);
            s_->spare_planes = std::move(*planes);
        }
        std::string problem;
        try {
            const bool resized = image.width() != width || image.height() != height;
            if (changed && pass && !resized && !pass->update(settings->pass).empty()) pass.reset();
            if (changed || resized || !pass) {
                if (!pass || resized) {
                    // Settings that cannot change live (photos, models) or a new frame size:
                    // a new pass, built here so OBS's threads never wait for a model.
                    auto next = std::make_unique<pipeline::FramePass>(settings->pass, pool);
                    io::MediaInfo info;
                    info.width = image.width();
                    info.height = image.height();
                    io::OutputFormat out;
                    out.alpha = true;
                    next->start(info, out);
                    pass = std::move(next);
                    width = image.width();
                    height = image.height();
                }
                in_use = settings;
            }
        } catch (const Error& e) {
            problem = e.what();
        } catch (const std::exception& e) {
            problem = e.what();
        }
        if (!problem.empty()) {
            std::lock_guard lock(s_->m);
            s_->error = problem;
            if (!pass) continue;  // nothing usable yet: the filter shows its input unchanged
        } else if (changed) {
            std::lock_guard lock(s_->m);
            s_->error.clear();
        }
        const auto t0 = Clock::now();
        Frame f;
        f.rgba = std::move(image);
        f.chroma = sampling;
        try {
            pass->process(f);
        } catch (const std::exception& e) {
            std::lock_guard lock(s_->m);
            s_->error = e.what();
            continue;
        }
        const auto t1 = Clock::now();
        *buffer = std::move(f.rgba);
        OverlayStats shown;
        bool draw = false;
        {
            std::lock_guard lock(s_->m);
            draw = s_->show_stats;
            shown = {s_->stats.fps, s_->stats.mean_pass_ms, s_->stats.last_latency_ms,
                     static_cast<unsigned long long>(s_->stats.dropped)};
        }
        if (draw) draw_stats(*buffer, shown);
        std::lock_guard lock(s_->m);
        if (s_->result) retired.push_back(std::move(s_->result));
        // A renderer that holds on to results must not make the worker hoard them.
        if (retired.size() > 3) retired.erase(retired.begin());
        s_->result = std::move(buffer);
        ++s_->serial;
        auto& st = s_->stats;
        ++st.processed;
        st.last_latency_ms = std::chrono::duration<double, std::milli>(t1 - submitted).count();
        const double pass_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
        const double weight = 1.0 / double(std::min<std::uint64_t>(st.processed, 100));
        st.mean_pass_ms += (pass_ms - st.mean_pass_ms) * weight;
        if (convert_ms >= 0) st.mean_convert_ms += (convert_ms - st.mean_convert_ms) * weight;
        if (st.processed > 1) {
            const double interval = std::chrono::duration<double>(t1 - s_->last_result_at).count();
            const double rate = interval > 0 ? 1.0 / interval : 0.0;
            st.fps += (rate - st.fps) * (st.processed == 2 ? 1.0 : std::max(weight, 0.1));
        }
        s_->last_result_at = t1;
    }
}

}  // namespace keyswap::obs
