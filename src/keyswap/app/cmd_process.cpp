// keyswap process -i IN -o OUT [...]: the main job, on files.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "keyswap/app/command.hpp"
#include "keyswap/app/schema_flags.hpp"
#include "keyswap/app/progress.hpp"
#include "keyswap/pipeline/frame_pass.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/pipeline/interrupt.hpp"
#include "keyswap/pipeline/settings.hpp"
#include "keyswap/pipeline/stream.hpp"
#include "keyswap/io/frames.hpp"

namespace keyswap::app {
namespace {

struct ProcessArgs {
    std::string input, output, settings_file;
    bool watch = false;
    std::shared_ptr<FlagValues> flags = std::make_shared<FlagValues>();
};

// Settings that do nothing in this configuration: say so rather than let the user wonder.
void warn_ignored(const pipeline::Settings& s, const io::OutputFormat& out) {
    const auto& p = s.pass;
    if (p.compose.light_wrap && p.options.background.empty())
        spdlog::warn("keyswap: --light-wrap does nothing without --background (nothing is composited)");
    if (p.face && !p.face->reference.empty() && p.face->faces != face::FaceChoice::Reference)
        spdlog::warn("keyswap: --reference is used only with --faces reference; it is ignored");
    const auto& e = out.encoder;
    const bool crf_codec = e == "libx264" || e == "libx265" || e == "libvpx-vp9";
    if (s.encode.crf >= 0 && !crf_codec)
        spdlog::warn("keyswap: --crf applies to h264, h265 and vp9; {} ignores it", out.codec_key);
    if (!s.encode.preset.empty() && !crf_codec)
        spdlog::warn("keyswap: --preset applies to h264, h265 and vp9; {} ignores it", out.codec_key);
    if (s.encode.quality >= 0 && e != "libwebp" && e != "mjpeg")
        spdlog::warn("keyswap: --quality applies to WebP and JPEG; {} ignores it", out.codec_key);
}

void run_process(const ProcessArgs& a) {
    if (a.watch && a.settings_file.empty()) fail(ErrorKind::Usage, "--watch needs --settings FILE (the file it watches)");
    const pipeline::Settings settings = pipeline::load_settings(a.settings_file, *a.flags);
    pipeline::StreamJob job;
    job.input = a.input;
    job.output = a.output;
    job.encode = settings.encode;
    job.keep_audio = !settings.run.no_audio;
    const io::FrameRange range = io::parse_frame_range(settings.run.frames);
    job.reader.first_frame = range.first;
    job.reader.last_frame = range.last;
    warn_ignored(settings, io::choose_output_format(a.output, settings.encode));
    ThreadPool::set_shared_threads(settings.run.threads);
    infer::set_execution_provider(settings.run.provider);
    pipeline::install_interrupt_handler();
    const pipeline::PassConfig& config = settings.pass;
    pipeline::FramePass pass(config, ThreadPool::shared());
    std::unique_ptr<pipeline::SettingsFileWatcher> watcher;
    if (a.watch) {
        auto slot = std::make_shared<pipeline::PassSlot>(std::make_shared<const pipeline::PassConfig>(config));
        pass.follow(slot);
        watcher = std::make_unique<pipeline::SettingsFileWatcher>(
            a.settings_file, *a.flags, slot, [](const std::string& why) { spdlog::warn("keyswap: {}", why); });
    }
    job.side_inputs = pass.input_files();
    job.side_outputs = pass.output_files();
    pipeline::FrameWork work;
    work.start = [&](const io::MediaInfo& in, const io::OutputFormat& out) { pass.start(in, out); };
    work.process = [&](Frame& f) { pass.process(f); };
    const bool quiet = settings.run.quiet;
    Progress progress(!quiet);
    const auto stats = pipeline::run_stream(job, work, [&](auto done, auto total, double fps) {
        progress.update(done, total, fps);
    });
    progress.finish();
    if (watcher && !quiet && watcher->reloads() > 0)
        std::fprintf(stderr, "keyswap: settings reloaded %d times while running\n", watcher->reloads());
    if (!quiet) {
        const auto& sum = pass.summary();
        std::fprintf(stderr, "keyswap: wrote %s (%lld frames, %.1f fps%s)\n", a.output.c_str(),
                     static_cast<long long>(stats.frames), stats.fps, stats.audio ? ", audio kept" : "");
        if (config.keyer && !sum.screen.empty()) std::fprintf(stderr, "keyswap: keyed %s\n", sum.screen.c_str());
        if (config.face)
            std::fprintf(stderr, "keyswap: faces swapped in %lld of %lld frames (%lld without a face, left unchanged)\n",
                         static_cast<long long>(sum.frames_with_faces), static_cast<long long>(sum.frames),
                         static_cast<long long>(sum.frames - sum.frames_with_faces));
    }
}

void add_process(CLI::App& app) {
    auto a = std::make_shared<ProcessArgs>();
    auto* cmd = app.add_subcommand("process", "Process a video, image or image sequence");
    cmd->add_option("-i,--input", a->input, "Input file or printf pattern (frame_%04d.png)")->required();
    cmd->add_option("-o,--output", a->output, "Output file; its extension picks the format")->required();
    cmd->add_option("--settings", a->settings_file, "Settings file (JSON, see `keyswap settings`); flags override it");
    cmd->add_flag("--watch", a->watch, "Reload the --settings file whenever it changes, between two frames");
    add_schema_flags(cmd, pipeline::process_schema(), a->flags);
    cmd->callback([a] { run_process(*a); });
}

const CommandRegistrar reg("process", add_process);

}  // namespace
}  // namespace keyswap::app
