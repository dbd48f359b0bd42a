// keyswap stitch DIR | keyswap stitch -o OUT CHUNK... : joins chunks into one output (the
// dependent job of a scaled-out run, or by hand), and keyswap chunk DIR N: one chunk of a
// planned job (what each scheduler task runs). See docs/SCALE.md.
#include <cstdio>
#include <memory>

#include "keyswap/app/command.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/pipeline/interrupt.hpp"
#include "keyswap/scale/run_chunk.hpp"
#include "keyswap/scale/stitch.hpp"

namespace keyswap::app {
namespace {

struct StitchArgs {
    std::vector<std::string> inputs;
    std::string output, audio_from, codec, preset;
    int crf = -1;
    bool keep_chunks = false, quiet = false, reencode = false;
};

void run_stitch(const StitchArgs& a) {
    namespace fs = std::filesystem;
    pipeline::install_interrupt_handler();
    std::error_code ec;
    const bool planned = a.inputs.size() == 1 && (fs::is_directory(a.inputs[0], ec) || fs::path(a.inputs[0]).filename() == "manifest.json");
    scale::StitchResult r;
    std::string output = a.output;
    if (planned) {
        if (!a.output.empty() || !a.audio_from.empty())
            fail(ErrorKind::Usage, "a chunk folder's stitch takes its output and audio from the plan; drop -o and --audio-from");
        const scale::ChunkPlan plan = scale::load_plan(a.inputs[0]);
        output = plan.output.string();
        r = scale::stitch_plan(plan, a.keep_chunks);
    } else {
        if (a.output.empty()) fail(ErrorKind::Usage, "-o OUTPUT is needed to stitch chunk files given by hand");
        scale::StitchJob job;
        for (const auto& f : a.inputs) job.parts.push_back({f, f, -1, -1.0});
        job.output = a.output;
        job.audio_from = a.audio_from;
        job.encode.codec = a.codec;
        job.encode.crf = a.crf;
        job.encode.preset = a.preset;
        job.reencode = a.reencode;
        r = scale::stitch(job);
    }
    if (!a.quiet)
        std::fprintf(stderr, "keyswap: stitched %s (%lld frames%s, %s) in %.1f s\n", output.c_str(),
                     static_cast<long long>(r.frames), r.audio ? ", audio kept" : "",
                     r.copied ? "copied without re-encoding" : "encoded once", r.seconds);
}

void add_stitch(CLI::App& app) {
    auto a = std::make_shared<StitchArgs>();
    auto* cmd = app.add_subcommand("stitch", "Join the chunks of a split job (a chunk folder, or chunk files in order) into one output");
    cmd->add_option("chunks", a->inputs, "A chunk folder (OUTPUT.chunks), or chunk files in order")->required();
    cmd->add_option("-o,--output", a->output, "Output file (chunk files given by hand only)");
    cmd->add_option("--audio-from", a->audio_from, "Carry this file's audio (chunk files given by hand only)");
    cmd->add_option("--codec", a->codec, "Output codec (chunk files given by hand; a folder uses the job's)");
    cmd->add_option("--crf", a->crf, "Output CRF (chunk files given by hand)")->check(CLI::Range(0, 63));
    cmd->add_option("--preset", a->preset, "Output x264/x265 preset (chunk files given by hand)");
    cmd->add_flag("--keep-chunks", a->keep_chunks, "Keep a folder's chunk files after a good stitch");
    cmd->add_flag("--reencode", a->reencode,
                  "Decode and encode even when the files are already in the output's codec (chunk files given by hand)");
    cmd->add_flag("-q,--quiet", a->quiet, "No summary line");
    cmd->callback([a] { run_stitch(*a); });
}

struct ChunkArgs {
    std::string dir;
    std::size_t index = 0;
    int threads = 0;
};

void add_chunk(CLI::App& app) {
    auto a = std::make_shared<ChunkArgs>();
    auto* cmd = app.add_subcommand("chunk", "Process one chunk of a split job (what each scheduler task runs)");
    cmd->add_option("dir", a->dir, "The chunk folder (holds manifest.json and settings.json)")->required();
    cmd->add_option("index", a->index, "The chunk's number, from 0")->required();
    cmd->add_option("--threads", a->threads, "Worker threads (default: the job's setting)")->check(CLI::Range(1, 256));
    cmd->callback([a] {
        pipeline::install_interrupt_handler();
        const scale::ChunkPlan plan = scale::load_plan(a->dir);
        const scale::ChunkRecord r = scale::run_chunk(plan, a->index, a->threads);
        std::fprintf(stderr, "keyswap: %s done (%lld frames)\n", plan.describe(a->index).c_str(), static_cast<long long>(r.frames));
    });
}

const CommandRegistrar reg_stitch("stitch", add_stitch);
const CommandRegistrar reg_chunk("chunk", add_chunk);

}  // namespace
}  // namespace keyswap::app
