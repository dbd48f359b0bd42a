// keyswap process -i IN -o OUT [...]: the main job, on files.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "keyswap/app/command.hpp"
#include "keyswap/app/param_flags.hpp"
#include "keyswap/app/progress.hpp"
#include "keyswap/pipeline/frame_pass.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/pipeline/interrupt.hpp"
#include "keyswap/pipeline/stream.hpp"

namespace keyswap::app {
namespace {

struct ProcessArgs {
    std::string input, output, frames;
    io::EncodeOptions encode;
    bool quiet = false;
    bool no_audio = false;
    int threads = 0;
    matte::KeyerSettings keyer;
    face::FaceSettings face;
    compose::ComposeSettings compose;
    pipeline::PassOptions pass;
};

// A stage is on when any of its flags was given (e.g. --despill alone means keying with key=auto).
template <class S>
bool any_given(const CLI::App* cmd, const ParamTable<S>& table) {
    for (const auto& row : table.rows())
        if (cmd->count("--" + row.key) > 0) return true;
    return false;
}

// "A-B" (inclusive, 0-based, like FFmpeg's between(n,A,B)), "A-" or "N" (that one frame).
void parse_range(const std::string& text, io::ReaderOptions& r) {
    if (text.empty()) return;
    auto number = [&](const std::string& s) -> long long {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
            fail(ErrorKind::Usage, "invalid --frames '" + text + "': expected A-B, A- or N (0-based frame numbers)");
        // 18 digits fit a long long; more is no frame number any file has.
        if (s.size() > 18) fail(ErrorKind::Usage, "invalid --frames '" + text + "': frame number too large");
        return std::stoll(s);
    };
    const auto dash = text.find('-');
    if (dash == std::string::npos) {
        r.first_frame = r.last_frame = number(text);
        return;
    }
    r.first_frame = number(text.substr(0, dash));
    const std::string rest = text.substr(dash + 1);
    r.last_frame = rest.empty() ? -1 : number(rest);
    if (r.last_frame >= 0 && r.last_frame < r.first_frame)
        fail(ErrorKind::Usage, "invalid --frames '" + text + "': the end comes before the start");
}

void add_process(CLI::App& app) {
    auto a = std::make_shared<ProcessArgs>();
    auto* cmd = app.add_subcommand("process", "Process a video, image or image sequence");
    cmd->add_option("-i,--input", a->input, "Input file or printf pattern (frame_%04d.png)")->required();
    cmd->add_option("-o,--output", a->output, "Output file; its extension picks the format")->required();
    cmd->add_option("--frames", a->frames, "Frame range A-B (0-based, inclusive), A- or N");
    cmd->add_option("--codec", a->encode.codec, "Override the codec: h264 h265 vp9 prores qtrle ffv1 png")->group("Encoding");
    cmd->add_option("--crf", a->encode.crf, "Constant rate factor for h264/h265/vp9")->check(CLI::Range(0, 63))->group("Encoding");
    cmd->add_option("--quality", a->encode.quality, "Quality 0-100 for WebP/JPEG (WebP is lossless when unset)")
        ->check(CLI::Range(0, 100))->group("Encoding");
    cmd->add_option("--preset", a->encode.preset, "Encoder preset (x264/x265: ultrafast..veryslow; vp9: realtime|good|best)")
        ->group("Encoding");
    cmd->add_flag("--no-audio", a->no_audio, "Do not carry the input's audio");
    cmd->add_option("--threads", a->threads, "Worker threads (0 = all cores)")->check(CLI::Range(0, 256));
    cmd->add_flag("-q,--quiet", a->quiet, "No progress display");
    add_param_flags(cmd, matte::keyer_params(), a->keyer, "Keying");
    add_param_flags(cmd, face::face_params(), a->face, "Face swap");
    add_param_flags(cmd, compose::compose_params(), a->compose, "Compositing");
    add_param_flags(cmd, pipeline::pass_params(), a->pass, "Output");
    cmd->callback([a, cmd] {
        pipeline::StreamJob job;
        job.input = a->input;
        job.output = a->output;
        job.encode = a->encode;
        job.keep_audio = !a->no_audio;
        parse_range(a->frames, job.reader);
        ThreadPool::set_shared_threads(a->threads);
        pipeline::install_interrupt_handler();
        pipeline::PassConfig config;
        if (any_given(cmd, matte::keyer_params())) config.keyer = a->keyer;
        if (any_given(cmd, face::face_params())) config.face = a->face;
        config.compose = a->compose;
        config.options = a->pass;
        pipeline::FramePass pass(config, ThreadPool::shared());
        job.side_inputs = pass.input_files();
        job.side_outputs = pass.output_files();
        pipeline::FrameWork work;
        work.start = [&](const io::MediaInfo& in, const io::OutputFormat& out) { pass.start(in, out); };
        work.process = [&](Frame& f) { pass.process(f); };
        Progress progress(!a->quiet);
        const auto stats = pipeline::run_stream(job, work, [&](auto done, auto total, double fps) {
            progress.update(done, total, fps);
        });
        progress.finish();
        if (!a->quiet) {
            const auto& sum = pass.summary();
            std::fprintf(stderr, "keyswap: wrote %s (%lld frames, %.1f fps%s)\n", a->output.c_str(),
                         static_cast<long long>(stats.frames), stats.fps, stats.audio ? ", audio kept" : "");
            if (config.keyer && !sum.screen.empty()) std::fprintf(stderr, "keyswap: keyed %s\n", sum.screen.c_str());
            if (config.face)
                std::fprintf(stderr, "keyswap: faces swapped in %lld of %lld frames (%lld without a face, left unchanged)\n",
                             static_cast<long long>(sum.frames_with_faces), static_cast<long long>(sum.frames),
                             static_cast<long long>(sum.frames - sum.frames_with_faces));
        }
    });
}

const CommandRegistrar reg("process", add_process);

}  // namespace
}  // namespace keyswap::app
