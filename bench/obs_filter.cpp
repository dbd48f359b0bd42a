// The OBS filter's speed in a headless OBS (tests/obs/obs_host): OBS's media source plays a
// 720p clip of a face on a green screen, looped; `keyswap_filter` keys and swaps it.
// Measures, in one run:
//   - the filter's pass per frame (its worker's mean) against the same FramePass run directly
//     on the same clip's frames (what `keyswap bench` times), and the frame conversion it adds;
//   - OBS's render time per frame (obs_get_average_frame_time_ns) with the filter off and on:
//     the pass runs beside the render loop and must not slow it.
// Usage (under xvfb-run): obs_filter CLIP SOURCE_PHOTO [SECONDS=10] [CANVAS=1280x720@30]
// A small, slow canvas (320x180@10) takes OBS's software rendering (Mesa's llvmpipe, on the
// same CPU cores) out of the way: the filter still gets the clip's 720p frames, one per canvas
// frame, so its pass can be compared with the direct pass without OBS eating the cores.
#include <obs.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "keyswap/core/error.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/yuv_convert.hpp"
#include "keyswap/pipeline/settings.hpp"
#include "obs_host.hpp"

using namespace keyswap;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// OBS's render time averaged over `seconds`, sampled every 100 ms.
double render_ms(double seconds) {
    double sum = 0;
    int n = 0;
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        sum += double(obs_get_average_frame_time_ns()) / 1e6;
        ++n;
    }
    return n ? sum / n : 0.0;
}

// CPU seconds this process has used (every thread: OBS, llvmpipe, the filter, the anchor).
double cpu_seconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// CPU seconds of this process's threads that run at nice `nice`: the filter's worker and every
// thread it created (its row pool, the face analyser's, the runtime's) run at nice +10, OBS's
// own threads at 0, so this is the filter's share alone, whatever OBS uses meanwhile.
double cpu_seconds_at_nice(int nice) {
    double total = 0;
    const long tick = ::sysconf(_SC_CLK_TCK);
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream in(task.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto close = stat.rfind(')');  // the thread's name may hold spaces
        if (close == std::string::npos) continue;
        std::istringstream fields(stat.substr(close + 2));
        std::vector<std::string> f{std::istream_iterator<std::string>(fields), std::istream_iterator<std::string>()};
        // After the name: state is field 3, utime 14, stime 15, nice 19 (proc(5)).
        if (f.size() < 17 || std::stoi(f[16]) != nice) continue;
        total += double(std::stoll(f[11]) + std::stoll(f[12])) / double(tick);
    }
    return total;
}

// The direct pass's mean ms over `frames` (after 10 frames of warm-up), on a fresh pass;
// `cpu_ms`, when given, gets the process's CPU ms per frame over the same frames.
// `period_ms` > 0 paces the frames as a live source does (one every period, or at once when
// the pass is late), so caches and idle pool threads are in the state the filter finds them.
double direct_pass_ms(const pipeline::Settings& s, const io::MediaInfo& info, const std::vector<Frame>& frames,
                      ThreadPool& pool, double* cpu_ms = nullptr, double (*cpu_clock)() = cpu_seconds,
                      double period_ms = 0) {
    pipeline::FramePass pass(s.pass, pool);
    io::OutputFormat out;
    out.alpha = true;
    pass.start(info, out);
    double total = 0, cpu0 = 0;
    int timed = 0;
    const auto start = Clock::now();
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (period_ms > 0)
            std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<long long>(1000.0 * period_ms * double(i))));
        Frame g = frames[i];
        if (i == 10) cpu0 = cpu_clock();  // after the first detections and warm-up
        const auto t = Clock::now();
        pass.process(g);
        if (i >= 10) total += ms_since(t), ++timed;
    }
    if (cpu_ms) *cpu_ms = (cpu_clock() - cpu0) * 1000.0 / std::max(timed, 1);
    return total / std::max(timed, 1);
}

// The same pass beside a running OBS, on a thread at the priority the filter's worker takes
// (nice +10, inherited by the pool it creates): the anchor for the filter under the same load.
// `cpu_ms` gets the CPU ms per frame of the threads at that priority (the pass's own).
double direct_pass_beside_obs_ms(const pipeline::Settings& s, const io::MediaInfo& info,
                                 const std::vector<Frame>& frames, double& cpu_ms, double period_ms) {
    double ms = 0;
    std::thread t([&] {
        const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
        ::setpriority(PRIO_PROCESS, tid, std::min(::getpriority(PRIO_PROCESS, tid) + 10, 19));
        ThreadPool pool(0);
        ms = direct_pass_ms(s, info, frames, pool, &cpu_ms, [] { return cpu_seconds_at_nice(10); }, period_ms);
    });
    t.join();
    return ms;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: obs_filter CLIP SOURCE_PHOTO [SECONDS=10] [CANVAS=1280x720@30]\n");
        return 2;
    }
    const std::string clip = argv[1], photo = argv[2];
    const double seconds = argc > 3 ? std::atof(argv[3]) : 10.0;
    int canvas_w = 1280, canvas_h = 720, canvas_fps = 30;
    if (argc > 4 && (std::sscanf(argv[4], "%dx%d@%d", &canvas_w, &canvas_h, &canvas_fps) != 3 || canvas_w < 16 ||
                     canvas_h < 16 || canvas_fps < 1 || canvas_fps > 120)) {
        std::fprintf(stderr, "obs_filter: CANVAS must look like 1280x720@30, got '%s'\n", argv[4]);
        return 2;
    }
    try {
        // The anchor: the same pass on the clip's frames, one after the other (keyswap bench).
        pipeline::Settings s;
        pipeline::process_schema().apply_json(
            s, nlohmann::json::parse(R"({"key": {}, "face": {"source": [")" + photo + R"("]}})"));
        io::ReaderOptions ro;
        ro.want_audio = false;
        io::MediaReader reader(clip, ro);
        // OBS hands the filter one frame per canvas frame, so at a canvas rate below the clip's
        // the filter sees every k-th frame: faces move k times as far between its frames, and
        // the tracker re-detects more often. The anchor takes the same stride, so both do the
        // same work.
        const int stride = std::max(1, static_cast<int>(std::lround(reader.info().fps() / canvas_fps)));
        std::vector<Frame> frames;
        Frame f;
        for (int i = 0; frames.size() < 90 && reader.read(f); ++i)
            if (i % stride == 0) frames.push_back(f);
        std::printf("anchor: %zu frames of the clip, every %d%s\n", frames.size(), stride,
                    stride == 1 ? "" : " (the filter's stride at this canvas rate)");
        // CPU per frame of the direct pass: what the pass costs, however busy the machine is.
        double direct_cpu_ms = 0;
        const double direct = direct_pass_ms(s, reader.info(), frames, ThreadPool::shared(), &direct_cpu_ms);
        // What the filter costs OBS's render thread for a media source's I420 frame: a copy
        // of its planes (the worker converts them).
        std::vector<std::uint8_t> y(1280 * 720, 120), u(640 * 360, 100), v(640 * 360, 140);
        io::PlaneFrame pf;
        pf.layout = io::PlaneLayout::I420;
        pf.width = 1280;
        pf.height = 720;
        pf.data = {y.data(), u.data(), v.data(), nullptr};
        pf.linesize = {1280, 640, 640, 0};
        const auto tc = Clock::now();
        for (int i = 0; i < 30; ++i) io::PlaneCopy copy(pf);
        const double copy_ms = ms_since(tc) / 30;

        obs_test::ObsHost host(canvas_w, canvas_h, KEYSWAP_OBS_MODULE, KEYSWAP_OBS_DATA, canvas_fps);
        if (!host.ok() || !host.real_sources()) {
            std::fprintf(stderr, "obs_filter: %s\n", host.ok() ? "OBS's media source module is missing (obs-studio)" : host.error().c_str());
            return 1;
        }
        obs_data_t* ms = obs_data_create();
        obs_data_set_bool(ms, "is_local_file", true);
        obs_data_set_string(ms, "local_file", clip.c_str());
        obs_data_set_bool(ms, "looping", true);
        obs_source_t* media = obs_source_create_private("ffmpeg_source", "clip", ms);
        obs_data_release(ms);
        obs_set_output_source(0, media);
        std::this_thread::sleep_for(std::chrono::seconds(2));
        double cpu0 = cpu_seconds();
        auto tcpu = Clock::now();
        const double render_off = render_ms(seconds);
        const double cpu_off_per_s = (cpu_seconds() - cpu0) / (ms_since(tcpu) / 1000.0);
        // The direct pass beside OBS playing the clip, and OBS's render time meanwhile.
        double beside = 0, beside_cpu_ms = 0;
        // Paced at the canvas rate, as OBS hands the filter its frames.
        std::thread anchor([&] { beside = direct_pass_beside_obs_ms(s, reader.info(), frames, beside_cpu_ms, 1000.0 / canvas_fps); });
        const double render_beside = render_ms(std::min(seconds, 3.0));
        anchor.join();

        const std::string json = R"({"keyswap-face-on": true, "source": [{"value": ")" + photo + R"(", "hidden": false}]})";
        obs_data_t* fs = obs_data_create_from_json(json.c_str());
        obs_source_t* filter = obs_source_create("keyswap_filter", "keyswap", fs, nullptr);
        obs_data_release(fs);
        obs_source_filter_add(media, filter);
        for (int i = 0; i < 600 && obs_test::stats_of(filter).processed < 30; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const auto before = obs_test::stats_of(filter);
        const auto t0 = Clock::now();
        const double filter_cpu0 = cpu_seconds_at_nice(10);
        cpu0 = cpu_seconds();
        tcpu = Clock::now();
        const double render_on = render_ms(seconds);
        const double cpu_on_per_s = (cpu_seconds() - cpu0) / (ms_since(tcpu) / 1000.0);
        const double filter_threads_cpu = cpu_seconds_at_nice(10) - filter_cpu0;
        const auto after = obs_test::stats_of(filter);
        const double fps = double(after.processed - before.processed) / (ms_since(t0) / 1000.0);

        std::printf("1280x720 clip, key + face + composite, %d threads; OBS canvas %dx%d at %d fps\n",
                    ThreadPool::shared().size(), canvas_w, canvas_h, canvas_fps);
        std::printf("direct pass (keyswap bench)      %6.2f ms/frame\n", direct);
        std::printf("direct pass beside OBS (nice+10) %6.2f ms/frame\n", beside);
        std::printf("filter pass (worker mean)        %6.2f ms/frame  = %.2fx the direct pass, %.2fx beside OBS\n",
                    after.pass_ms, after.pass_ms / direct, after.pass_ms / beside);
        // Everything the filter adds to the process (copy, conversion, pass, upload, draw), in
        // CPU time per result: contention cannot inflate it the way it does wall time.
        const double filter_cpu_ms = (cpu_on_per_s - cpu_off_per_s) * 1000.0 / std::max(fps, 1e-6);
        std::printf("CPU per frame, direct pass       %6.2f ms\n", direct_cpu_ms);
        std::printf("CPU per frame, filter (all of it)%6.2f ms  = %.2fx the direct pass (OBS alone: %.2f cores)\n",
                    filter_cpu_ms, filter_cpu_ms / direct_cpu_ms, cpu_off_per_s);
        // The filter's own threads (worker, its pool, the face analyser) against the same pass
        // at the same priority beside OBS: CPU per frame, which OBS's load barely moves.
        const double worker_cpu_ms = filter_threads_cpu * 1000.0 / double(std::max(after.processed - before.processed, 1LL));
        std::printf("CPU per frame, direct pass's threads (beside OBS)                      %6.2f ms\n", beside_cpu_ms);
        std::printf("CPU per frame, filter's threads (conversion + pass)                       %6.2f ms  = %.2fx\n",
                    worker_cpu_ms, worker_cpu_ms / beside_cpu_ms);
        std::printf("filter I420 -> RGBA (worker)     %6.2f ms/frame\n", after.convert_ms);
        std::printf("filter plane copy (render thread)%6.2f ms/frame\n", copy_ms);
        std::printf("filter results                   %6.1f fps, %lld dropped (newest wins), latency %.1f ms\n", fps,
                    after.dropped - before.dropped, after.latency_ms);
        std::printf("OBS render time, filter off      %6.2f ms/frame\n", render_off);
        std::printf("OBS render time, direct beside   %6.2f ms/frame\n", render_beside);
        std::printf("OBS render time, filter on       %6.2f ms/frame\n", render_on);
        obs_set_output_source(0, nullptr);
        obs_source_filter_remove(media, filter);
        obs_source_release(filter);
        obs_source_release(media);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "obs_filter: %s\n", e.what());
        return 1;
    }
    return 0;
}
