// keyswap live -i INPUT -o OUTPUT [-o OUTPUT ...]: camera or stream in, keyed and swapped out,
// in real time (see docs/LIVE.md and pipeline/live_run.hpp).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>

#include <spdlog/spdlog.h>

#include "keyswap/app/command.hpp"
#include "keyswap/app/schema_flags.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/pipeline/frame_pass.hpp"
#include "keyswap/pipeline/interrupt.hpp"
#include "keyswap/pipeline/live_run.hpp"
#include "keyswap/pipeline/settings.hpp"

namespace keyswap::app {
namespace {

struct LiveArgs {
    pipeline::LiveJob job;
    std::string stats_json, settings_file;
    bool watch = false;
    std::shared_ptr<FlagValues> flags = std::make_shared<FlagValues>();  // the schema's flags, as given
};

void write_json(const std::string& path, const pipeline::LiveReport& r) {
    if (path.empty()) return;
    std::ofstream f(path);
    f << r.json().dump(2) << "\n";
    if (!f) fail(ErrorKind::Output, "cannot write the stats file", path);
}

void add_live(CLI::App& app) {
    auto a = std::make_shared<LiveArgs>();
    auto& j = a->job;
    auto* cmd = app.add_subcommand("live", "Live: camera, stream or paced file in; virtual camera, stream or recording out");
    cmd->add_option("-i,--input", j.input, "Camera (/dev/video0), stream URL (udp:// srt:// rtmp:// rtsp://) or file (with --realtime)")
        ->required();
    cmd->add_option("-o,--output", j.outputs,
                    "Repeatable: v4l2:/dev/videoN, udp:// srt:// tcp:// rtmp:// URL, webm:/mkv:/nut:TARGET (alpha for OBS), "
                    "a recording file, or null:")
        ->required();
    cmd->add_option("--input-size", j.input_options.size, "Camera picture size, e.g. 1280x720")->group("Input");
    cmd->add_option("--input-fps", j.input_options.fps, "Camera frame rate")->check(CLI::Range(1.0, 240.0))->group("Input");
    cmd->add_option("--input-format", j.input_options.pixel_format, "Camera pixel format: mjpeg or yuyv")->group("Input");
    cmd->add_flag("--realtime", j.input_options.realtime, "Play a file input at its own frame rate (like a camera)")->group("Input");
    cmd->add_flag("--loop", j.input_options.loop, "Start a file input again at its end")->group("Input");
    cmd->add_option("--input-timeout", j.input_options.timeout_s, "Seconds without data before an input or output counts as stalled")
        ->check(CLI::Range(0.2, 300.0))->group("Input");
    cmd->add_option("--reconnect", j.reconnect_tries, "Reconnection attempts for network inputs and outputs (with back-off)")
        ->check(CLI::Range(0, 1000))->group("Input");
    cmd->add_option("--max-latency", j.max_latency_ms, "Drop frames older than this many ms instead of processing or sending them")
        ->check(CLI::Range(0.0, 60000.0))->group("Live");
    cmd->add_option("--queue", j.queue_depth, "Frames waiting per output before its oldest is dropped")->check(CLI::Range(1, 16))->group("Live");
    cmd->add_option("--stats-every", j.stats_every_s, "Seconds between stats lines on stderr (0 = only at the end)")
        ->check(CLI::Range(0.0, 3600.0))->group("Live");
    cmd->add_option("--stats-json", a->stats_json, "Write the final stats as JSON to this file")->group("Live");
    cmd->add_option("--duration", j.duration_s, "Stop after this many seconds")->check(CLI::Range(0.0, 1e7))->group("Live");
    cmd->add_option("--stream-preset", j.encode.preset, "x264 preset of streams and recordings (ultrafast..medium)")->group("Encoding");
    cmd->add_option("--stream-crf", j.encode.crf, "x264 quality of streams")->check(CLI::Range(0, 51))->group("Encoding");
    cmd->add_option("--bitrate", j.encode.bitrate_kbps, "Stream bit-rate ceiling in kbit/s")->check(CLI::Range(100, 200000))->group("Encoding");
    cmd->add_option("--camera-format", j.encode.camera_format, "Virtual camera pixel format: yuv420p or yuyv422")->group("Encoding");
    cmd->add_option("--settings", a->settings_file, "Settings file (JSON, see `keyswap settings`); flags override it");
    cmd->add_flag("--watch", a->watch, "Reload the --settings file whenever it changes; the look changes between two frames");
    // The same settings as process (one schema): stages, recording encoder (--codec, --crf,
    // --preset for recordings), run (--no-audio, --threads, -q: no periodic stats).
    add_schema_flags(cmd, pipeline::process_schema(), a->flags);
    cmd->callback([a] {
        auto& job = a->job;
        if (a->watch && a->settings_file.empty()) fail(ErrorKind::Usage, "--watch needs --settings FILE (the file it watches)");
        const pipeline::Settings settings = pipeline::load_settings(a->settings_file, *a->flags);
        if (!settings.run.frames.empty())
            fail(ErrorKind::Usage, "--frames is for keyswap process; a live run ends with --duration, the input's end or Ctrl-C");
        job.keep_audio = !settings.run.no_audio;
        job.quiet = job.quiet || settings.run.quiet;
        job.encode.recording = settings.encode;
        if (io::LiveInput::kind_of(job.input) == io::LiveInputKind::File && !job.input_options.realtime)
            fail(ErrorKind::Usage,
                 "a file input needs --realtime (played at its own frame rate, like a camera); to process a file as fast "
                 "as possible use keyswap process",
                 job.input);
        if (job.input_options.loop && io::LiveInput::kind_of(job.input) != io::LiveInputKind::File)
            fail(ErrorKind::Usage, "--loop is for file inputs", job.input);
        if (!settings.pass.options.debug_matte.empty()) fail(ErrorKind::Usage, "--debug-matte is for keyswap process, not live");
        ThreadPool::set_shared_threads(settings.run.threads);
    infer::set_execution_provider(settings.run.provider);
        pipeline::install_interrupt_handler();
        // A receiver that went away must surface as a write error on that output, not end the process.
        std::signal(SIGPIPE, SIG_IGN);
        const auto specs = pipeline::parse_outputs(job);  // clear output errors before models load

        pipeline::PassConfig config = settings.pass;
        if (config.face) config.face->background_detect = true;  // the full-frame search must not stall a frame
        auto pass = std::make_unique<pipeline::FramePass>(config, ThreadPool::shared());
        // --watch: a changed settings file becomes a new immutable snapshot; the pass takes it
        // between two frames (FramePass::follow), never during one.
        std::unique_ptr<pipeline::SettingsFileWatcher> watcher;
        if (a->watch) {
            auto slot = std::make_shared<pipeline::PassSlot>(std::make_shared<const pipeline::PassConfig>(config));
            pass->follow(slot);
            watcher = std::make_unique<pipeline::SettingsFileWatcher>(
                a->settings_file, *a->flags, slot, [](const std::string& why) { spdlog::warn("keyswap: {}", why); });
        }
        {
            std::vector<std::filesystem::path> reads = pass->input_files();
            if (io::LiveInput::kind_of(job.input) == io::LiveInputKind::File) reads.emplace_back(job.input);
            for (const auto& s : specs)
                if (s.kind == io::LiveOutputKind::Recording || (s.kind == io::LiveOutputKind::Stream && !s.network))
                    io::check_output_path(reads, s.target);
        }
        io::OutputFormat as_output;  // what the outputs keep, for the pass's own checks
        as_output.extension = "live";
        as_output.codec_key = "live";
        as_output.alpha = true;

        pipeline::LiveWork work;
        work.start = [&](const io::MediaInfo& in, const std::vector<io::LiveOutputSpec>& outs) {
            pipeline::require_alpha_outputs(pass->makes_transparency(in.has_alpha), outs,
                                            "give --background (#RRGGBB, an image or a video)");
            pass->start(in, as_output);
        };
        work.process = [&](Frame& f, io::SteadyTime) { pass->process(f); };
        work.times = [&] { return pass->times(); };

        pipeline::LiveReport report;
        try {
            pipeline::run_live(job, work, &report);
        } catch (...) {
            if (report.captured > 0) {
                std::fputs(("keyswap: final stats\n" + report.text()).c_str(), stderr);
                write_json(a->stats_json, report);
            }
            throw;
        }
        std::fputs(("keyswap: final stats\n" + report.text()).c_str(), stderr);
        write_json(a->stats_json, report);
        if (watcher && watcher->reloads() > 0)
            std::fprintf(stderr, "keyswap: settings reloaded %d times while running\n", watcher->reloads());
        for (const auto& o : report.outputs)
            if (o.state.rfind("failed", 0) == 0) fail(ErrorKind::Output, "output stopped early: " + o.state.substr(8));
    });
}

const CommandRegistrar reg("live", add_live);

}  // namespace
}  // namespace keyswap::app
