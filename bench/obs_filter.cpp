// The OBS filter's speed in a headless OBS (tests/obs/obs_host): OBS's media source plays a
// 720p clip of a face on a green screen, looped; `keyswap_filter` keys and swaps it.
// Measures, in one run:
//   - the filter's pass per frame (its worker's mean) against the same FramePass run directly
//     on the same clip's frames (what `keyswap bench` times), and the frame conversion it adds;
//   - OBS's render time per frame (obs_get_average_frame_time_ns) with the filter off and on:
//     the pass runs beside the render loop and must not slow it.
// Usage (under xvfb-run): obs_filter CLIP SOURCE_PHOTO [SECONDS=10]
#include <obs.h>

#include <chrono>
#include <cstdio>
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

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: obs_filter CLIP SOURCE_PHOTO [SECONDS=10]\n");
        return 2;
    }
    const std::string clip = argv[1], photo = argv[2];
    const double seconds = argc > 3 ? std::atof(argv[3]) : 10.0;
    try {
        // The anchor: the same pass on the clip's frames, one after the other (keyswap bench).
        pipeline::Settings s;
        pipeline::process_schema().apply_json(
            s, nlohmann::json::parse(R"({"key": {}, "face": {"source": [")" + photo + R"("]}})"));
        io::ReaderOptions ro;
        ro.want_audio = false;
        io::MediaReader reader(clip, ro);
        std::vector<Frame> frames;
        Frame f;
        while (frames.size() < 90 && reader.read(f)) frames.push_back(f);
        pipeline::FramePass pass(s.pass, ThreadPool::shared());
        io::OutputFormat out;
        out.alpha = true;
        pass.start(reader.info(), out);
        double direct = 0;
        int timed = 0;
        for (std::size_t i = 0; i < frames.size(); ++i) {
            Frame g = frames[i];
            const auto t = Clock::now();
            pass.process(g);
            if (i >= 10) direct += ms_since(t), ++timed;  // after the first detections and warm-up
        }
        direct /= std::max(timed, 1);
        // The conversion the filter adds for a media source's I420 frame, on one thread.
        std::vector<std::uint8_t> y(1280 * 720, 120), u(640 * 360, 100), v(640 * 360, 140);
        io::PlaneFrame pf;
        pf.layout = io::PlaneLayout::I420;
        pf.width = 1280;
        pf.height = 720;
        pf.data = {y.data(), u.data(), v.data(), nullptr};
        pf.linesize = {1280, 640, 640, 0};
        ImageU8 rgba;
        const auto tc = Clock::now();
        for (int i = 0; i < 30; ++i) io::to_rgba(pf, io::yuv_matrix(true, false), rgba, nullptr);
        const double convert = ms_since(tc) / 30;

        obs_test::ObsHost host(1280, 720, KEYSWAP_OBS_MODULE, KEYSWAP_OBS_DATA);
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
        const double render_off = render_ms(seconds);

        const std::string json = R"({"keyswap-face-on": true, "source": [{"value": ")" + photo + R"(", "hidden": false}]})";
        obs_data_t* fs = obs_data_create_from_json(json.c_str());
        obs_source_t* filter = obs_source_create("keyswap_filter", "keyswap", fs, nullptr);
        obs_data_release(fs);
        obs_source_filter_add(media, filter);
        for (int i = 0; i < 600 && obs_test::stats_of(filter).processed < 30; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const auto before = obs_test::stats_of(filter);
        const auto t0 = Clock::now();
        const double render_on = render_ms(seconds);
        const auto after = obs_test::stats_of(filter);
        const double fps = double(after.processed - before.processed) / (ms_since(t0) / 1000.0);

        std::printf("1280x720, key + face + composite, %d threads\n", ThreadPool::shared().size());
        std::printf("direct pass (keyswap bench)      %6.2f ms/frame\n", direct);
        std::printf("filter pass (worker mean)        %6.2f ms/frame  = %.2fx the direct pass\n", after.pass_ms,
                    after.pass_ms / direct);
        std::printf("filter frame conversion (I420)   %6.2f ms/frame (on the source's thread)\n", convert);
        std::printf("filter results                   %6.1f fps, %lld dropped (newest wins), latency %.1f ms\n", fps,
                    after.dropped - before.dropped, after.latency_ms);
        std::printf("OBS render time, filter off      %6.2f ms/frame\n", render_off);
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
