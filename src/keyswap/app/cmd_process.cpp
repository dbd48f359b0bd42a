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
#include "keyswap/pipeline/file_job.hpp"
#include "keyswap/pipeline/stream.hpp"
#include "keyswap/scale/scale_job.hpp"
#include "keyswap/io/frames.hpp"

namespace keyswap::app {
namespace {

struct ProcessArgs {
    std::string input, output, settings_file;
    bool watch = false;
    std::shared_ptr<FlagValues> flags = std::make_shared<FlagValues>();
    scale::ScaleOptions scale;
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
    pipeline::FileJob job;
    job.input = a.input;
    job.output = a.output;
    job.settings = pipeline::load_settings(a.settings_file, *a.flags);
    const pipeline::Settings& settings = job.settings;
    warn_ignored(settings, io::choose_output_format(a.output, settings.encode));
    if (a.scale.chunks > 0 || a.scale.chunk_frames > 0) {
        if (a.watch) fail(ErrorKind::Usage, "--watch does not apply to a job split into chunks");
        scale::run_chunked({a.input, a.output, settings}, a.scale);
        return;
    }
    pipeline::install_interrupt_handler();
    std::unique_ptr<pipeline::SettingsFileWatcher> watcher;
    if (a.watch) {
        auto slot = std::make_shared<pipeline::PassSlot>(std::make_shared<const pipeline::PassConfig>(settings.pass));
        job.follow = slot;
        watcher = std::make_unique<pipeline::SettingsFileWatcher>(
            a.settings_file, *a.flags, slot, [](const std::string& why) { spdlog::warn("keyswap: {}", why); });
    }
    const bool quiet = settings.run.quiet;
    Progress progress(!quiet);
    const auto result = pipeline::run_file_job(job, [&](auto done, auto total, double fps) {
        progress.update(done, total, fps);
    });
    progress.finish();
    if (watcher && !quiet && watcher->reloads() > 0)
        std::fprintf(stderr, "keyswap: settings reloaded %d times while running\n", watcher->reloads());
    if (!quiet) {
        const auto& stats = result.stream;
        const auto& sum = result.summary;
        const auto& config = settings.pass;
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
    // Scale-out (docs/SCALE.md): the same job cut into frame-range chunks run as separate
    // processes or cluster tasks, then stitched.
    const std::string g = "Scale-out";
    auto& o = a->scale;
    cmd->add_option("--chunks", o.chunks, "Split the job into N frame-range chunks run in parallel, then stitched")
        ->group(g)->check(CLI::Range(1, 100000));
    cmd->add_option("--chunk-frames", o.chunk_frames, "Split into chunks of K frames instead")->group(g)->check(CLI::Range(1, 1 << 30));
    cmd->add_option("--scheduler", o.scheduler, "Where chunks run: local (processes here) or slurm (a job array)")
        ->group(g)->transform(CLI::CheckedTransformer(std::map<std::string, scale::Scheduler>{
            {"local", scale::Scheduler::Local}, {"slurm", scale::Scheduler::Slurm}}));
    cmd->add_option("--chunk-dir", o.chunk_dir, "Folder for chunks, logs and job scripts, seen by every node (default OUTPUT.chunks)")->group(g);
    cmd->add_option("--warm-up", o.warm_up, "Frames before each chunk processed and dropped so tracks and smoothing carry over (default: 2 s of the input)")
        ->group(g)->check(CLI::Range(0, 100000));
    cmd->add_option("--parallel", o.parallel, "local: chunk processes at once (default: one per core)")->group(g)->check(CLI::Range(1, 1024));
    cmd->add_option("--partition", o.partition, "slurm: the partition to submit to")->group(g);
    cmd->add_option("--sbatch-arg", o.sbatch_args, "slurm: an extra sbatch argument, e.g. --sbatch-arg=--cpus-per-task=4 (repeatable)")
        ->group(g)->allow_extra_args(false);
    cmd->add_flag("--detach", o.detach, "slurm: submit and return without waiting")->group(g);
    cmd->add_flag("--dry-run", o.dry_run, "Print the chunk plan and the job scripts; run nothing")->group(g);
    cmd->add_flag("--plan-only", o.plan_only, "Write the chunk folder and print the chunk and stitch commands, for another scheduler; run nothing")->group(g);
    cmd->add_flag("--keep-chunks", o.keep_chunks, "Keep the chunk folder after a good stitch")->group(g);
    cmd->add_flag("--lossless-chunks", o.lossless_chunks,
                  "Chunks as FFV1 intermediates encoded once by the stitch (default: chunks in the output's codec, joined without re-encoding)")
        ->group(g);
    cmd->callback([a] { run_process(*a); });
}

const CommandRegistrar reg("process", add_process);

}  // namespace
}  // namespace keyswap::app
