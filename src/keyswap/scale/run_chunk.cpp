#include "keyswap/scale/run_chunk.hpp"

#include <fstream>

#include "keyswap/core/error.hpp"
#include "keyswap/pipeline/file_job.hpp"
#include "keyswap/scale/stitch.hpp"

namespace keyswap::scale {
namespace fs = std::filesystem;

ChunkRecord run_chunk(const ChunkPlan& plan, std::size_t index, int threads) {
    if (index >= plan.chunks.size())
        fail(ErrorKind::Usage,
             "no chunk " + std::to_string(index) + " (the plan has " + std::to_string(plan.chunks.size()) + ")",
             plan.manifest_file().string());
    const ChunkRange r = plan.chunks[index];
    pipeline::FileJob job;
    job.input = plan.input;
    job.output = plan.chunk_file(index);
    job.settings = pipeline::load_settings(plan.settings_file());
    auto& run = job.settings.run;
    run.frames = std::to_string(r.first) + "-" + std::to_string(r.last);
    run.no_audio = true;
    run.quiet = true;
    if (threads > 0) run.threads = threads;
    job.settings.encode = plan.chunk_encode();
    job.warm_up = std::min(plan.warm_up, r.first);
    job.output_offset = r.first - plan.first;
    job.job_first_frame = plan.first;
    std::error_code ec;
    fs::remove(plan.record_file(index), ec);
    const auto result = pipeline::run_file_job(job);
    if (result.stream.frames != r.frames())
        fail(ErrorKind::Input,
             "gave " + std::to_string(result.stream.frames) + " frames for " + plan.describe(index) +
                 " (the input is shorter than planned?)",
             plan.input.string());
    ChunkRecord rec;
    rec.frames = result.stream.frames;
    rec.start = result.stream.range_start;
    rec.end = result.stream.range_end;
    save_record(plan, index, rec);
    return rec;
}

StitchResult stitch_plan(const ChunkPlan& plan, bool keep_chunks) {
    auto verdict = [&](const std::string& text) {
        std::ofstream f(plan.stitch_result(), std::ios::trunc);
        f << text << "\n";
    };
    try {
        const StitchResult r = stitch(stitch_job_of(plan));
        verdict("ok");
        if (!keep_chunks) {
            std::error_code ec;
            for (std::size_t i = 0; i < plan.chunks.size(); ++i) {
                fs::remove(plan.chunk_file(i), ec);
                fs::remove(plan.record_file(i), ec);
            }
        }
        return r;
    } catch (const Error& e) {
        verdict(e.what());
        throw;
    }
}

}  // namespace keyswap::scale
