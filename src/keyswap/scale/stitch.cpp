#include "keyswap/scale/stitch.hpp"

#include <cmath>

#include "keyswap/core/error.hpp"
#include "keyswap/core/timing.hpp"
#include "keyswap/io/audio_range.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/pipeline/interrupt.hpp"

namespace keyswap::scale {
namespace fs = std::filesystem;

namespace {

// Maps a chunk's frame times (Matroska keeps milliseconds) back onto the input's time base:
// on a constant-rate input every frame sits on the frame grid from the chunk's start, so the
// stitched timestamps are the ones a single run writes, not a millisecond off.
struct TimeGrid {
    struct { std::int64_t num = 1, den = 1000; } tb;  // the output's time base
    std::int64_t frame_ticks = 0;  // one frame in tb ticks, 0 when the rate does not divide it

    std::int64_t ticks(double seconds) const { return std::llround(seconds * tb.den / tb.num); }
    std::int64_t pts(double part_start, double time_in_part) const {
        const std::int64_t s = ticks(part_start), t = ticks(part_start + time_in_part);
        if (frame_ticks <= 0) return t;
        const std::int64_t n = (t - s + frame_ticks / 2) / frame_ticks;
        const std::int64_t snapped = s + n * frame_ticks;
        // Only snap what the millisecond rounding moved, never a real variable-rate gap.
        return std::llabs(snapped - t) * 1000 * tb.num < tb.den ? snapped : t;
    }
};

}  // namespace

StitchJob stitch_job_of(const ChunkPlan& plan) {
    StitchJob job;
    std::string missing;
    for (std::size_t i = 0; i < plan.chunks.size(); ++i) {
        const auto rec = plan.record(i);
        if (!rec) {
            if (!missing.empty()) missing += ", ";
            missing += plan.describe(i);
            continue;
        }
        job.parts.push_back({plan.chunk_file(i), plan.describe(i), plan.chunks[i].frames(), rec->start});
        if (i + 1 == plan.chunks.size()) job.audio_end = rec->end;
    }
    if (!missing.empty())
        fail(ErrorKind::Input, "missing or failed: " + missing + "; rerun the job to process only those (logs in " +
                                   (plan.dir / "logs").string() + ")",
             plan.dir.string());
    job.output = plan.output;
    job.encode = plan.encode;
    if (plan.audio) job.audio_from = plan.input;
    job.audio_start = job.parts.front().start;
    return job;
}

StitchResult stitch(const StitchJob& job, const StitchProgress& progress) {
    if (job.parts.empty()) fail(ErrorKind::Usage, "nothing to stitch: no chunks given");
    Stopwatch clock;
    std::vector<fs::path> inputs;
    for (const auto& p : job.parts) inputs.push_back(p.file);
    if (!job.audio_from.empty()) inputs.push_back(job.audio_from);
    io::check_output_path(inputs, job.output);

    auto open_part = [](const StitchPart& p) {
        std::error_code ec;
        if (!fs::is_regular_file(p.file, ec)) fail(ErrorKind::Input, p.name + " is missing", p.file.string());
        io::ReaderOptions o;
        o.want_audio = false;
        return std::make_unique<io::MediaReader>(p.file, o);
    };
    auto first = open_part(job.parts.front());
    const io::MediaInfo info = first->info();

    // Timestamps and rate follow the input (the audio source) when there is one, so the result
    // has the time base and frame rate of a single run; otherwise the first chunk's.
    TimeGrid grid;
    io::VideoParams vp;
    vp.width = info.width;
    vp.height = info.height;
    vp.fps_num = info.fps_num > 0 ? info.fps_num : 25;
    vp.fps_den = info.fps_num > 0 ? info.fps_den : 1;
    if (!job.audio_from.empty()) {
        const io::MediaInfo in = io::probe(job.audio_from);
        if (in.fps_num > 0) vp.fps_num = in.fps_num, vp.fps_den = in.fps_den;
        grid.tb.num = in.tb_num, grid.tb.den = in.tb_den;
    } else {
        grid.tb.num = info.tb_num, grid.tb.den = info.tb_den;
    }
    vp.tb_num = static_cast<int>(grid.tb.num);
    vp.tb_den = static_cast<int>(grid.tb.den);
    const std::int64_t num = std::int64_t(vp.fps_den) * grid.tb.den, den = std::int64_t(vp.fps_num) * grid.tb.num;
    grid.frame_ticks = den > 0 && num % den == 0 ? num / den : 0;

    std::unique_ptr<io::AudioRange> audio;
    io::AudioSource source;
    if (!job.audio_from.empty()) {
        audio = std::make_unique<io::AudioRange>(job.audio_from, job.audio_start, job.audio_end);
        source.params = audio->params();
        source.tb_num = audio->tb_num();
        source.tb_den = audio->tb_den();
    }
    io::MediaWriter writer(job.output, vp, job.encode, source);

    std::int64_t total = 0;
    for (const auto& p : job.parts) total += std::max<std::int64_t>(p.expected, 0);
    StitchResult result;
    double next_start = 0.0;  // for parts without a known start: right after the previous one
    Frame f;
    for (std::size_t k = 0; k < job.parts.size(); ++k) {
        const StitchPart& part = job.parts[k];
        auto reader = k == 0 ? std::move(first) : open_part(part);
        if (reader->info().width != vp.width || reader->info().height != vp.height)
            fail(ErrorKind::Input, part.name + " is " + std::to_string(reader->info().width) + "x" +
                                       std::to_string(reader->info().height) + ", not the first chunk's size",
                 part.file.string());
        const double start = part.start >= 0 ? part.start - job.audio_start : next_start;
        std::int64_t frames = 0;
        double last_time = 0.0;
        for (;;) {
            if (pipeline::interrupt_requested()) fail(ErrorKind::Interrupted, "interrupted; no output written", job.output.string());
            try {
                if (!reader->read(f)) break;
            } catch (const Error& e) {
                throw Error(ErrorKind::Input, part.name + " is damaged: " + e.detail(), part.file.string());
            }
            f.pts = grid.pts(start, f.time);
            const double t = double(f.pts) * grid.tb.num / grid.tb.den;
            // Audio goes in beside the frames it belongs with, so the muxer never has to hold
            // the whole soundtrack to interleave it.
            while (audio && audio->next_time() <= t)
                if (auto a = audio->next()) writer.write_audio(*a);
            writer.write(f);
            ++frames;
            last_time = f.time;
            ++result.frames;
            if (progress) progress(result.frames, total);
        }
        if (part.expected >= 0 && frames != part.expected)
            fail(ErrorKind::Input,
                 part.name + " holds " + std::to_string(frames) + " frames, not the " + std::to_string(part.expected) +
                     " planned (incomplete or from another job)",
                 part.file.string());
        next_start = start + last_time + double(vp.fps_den) / vp.fps_num;
    }
    while (audio)
        if (auto a = audio->next()) writer.write_audio(*a);
        else break;
    writer.finish();
    result.audio = writer.has_audio();
    result.seconds = clock.ms() / 1000.0;
    return result;
}

}  // namespace keyswap::scale
