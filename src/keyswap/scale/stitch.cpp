#include "keyswap/scale/stitch.hpp"

#include <cmath>

#include <spdlog/spdlog.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/mathematics.h>
}

#include "keyswap/core/error.hpp"
#include "keyswap/core/timing.hpp"
#include "keyswap/io/audio_range.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/io/packet_writer.hpp"
#include "keyswap/io/video_packets.hpp"
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

namespace {

struct Opened {
    TimeGrid grid;
    io::VideoParams vp;
    std::unique_ptr<io::AudioRange> audio;
    io::AudioSource source;
    std::int64_t total = 0;
};

void check_present(const StitchPart& p) {
    std::error_code ec;
    if (!fs::is_regular_file(p.file, ec)) fail(ErrorKind::Input, p.name + " is missing", p.file.string());
}

std::unique_ptr<io::VideoPackets> open_packets(const StitchPart& p) {
    check_present(p);
    try {
        return std::make_unique<io::VideoPackets>(p.file);
    } catch (const Error& e) {
        throw Error(ErrorKind::Input, p.name + " is damaged: " + e.detail(), p.file.string());
    }
}

void check_count(const StitchPart& part, std::int64_t frames) {
    if (part.expected >= 0 && frames != part.expected)
        fail(ErrorKind::Input,
             part.name + " holds " + std::to_string(frames) + " frames, not the " + std::to_string(part.expected) +
                 " planned (incomplete or from another job)",
             part.file.string());
}

void check_interrupt(const StitchJob& job) {
    if (pipeline::interrupt_requested()) fail(ErrorKind::Interrupted, "interrupted; no output written", job.output.string());
}

// Timestamps and rate follow the input (the audio source) when there is one, so the result
// has the time base and frame rate of a single run; otherwise the first chunk's.
Opened open_timeline(const StitchJob& job, const io::MediaInfo& info) {
    Opened o;
    o.vp.width = info.width;
    o.vp.height = info.height;
    o.vp.fps_num = info.fps_num > 0 ? info.fps_num : 25;
    o.vp.fps_den = info.fps_num > 0 ? info.fps_den : 1;
    if (!job.audio_from.empty()) {
        const io::MediaInfo in = io::probe(job.audio_from);
        if (in.fps_num > 0) o.vp.fps_num = in.fps_num, o.vp.fps_den = in.fps_den;
        o.grid.tb.num = in.tb_num, o.grid.tb.den = in.tb_den;
    } else {
        o.grid.tb.num = info.tb_num, o.grid.tb.den = info.tb_den;
    }
    o.vp.tb_num = static_cast<int>(o.grid.tb.num);
    o.vp.tb_den = static_cast<int>(o.grid.tb.den);
    const std::int64_t num = std::int64_t(o.vp.fps_den) * o.grid.tb.den, den = std::int64_t(o.vp.fps_num) * o.grid.tb.num;
    o.grid.frame_ticks = den > 0 && num % den == 0 ? num / den : 0;
    if (!job.audio_from.empty()) {
        o.audio = std::make_unique<io::AudioRange>(job.audio_from, job.audio_start, job.audio_end);
        o.source.params = o.audio->params();
        o.source.tb_num = o.audio->tb_num();
        o.source.tb_den = o.audio->tb_den();
    }
    for (const auto& p : job.parts) o.total += std::max<std::int64_t>(p.expected, 0);
    return o;
}

// Audio goes in beside the frames it belongs with, so the muxer never has to hold the whole
// soundtrack to interleave it.
template <class Writer>
void audio_until(Opened& o, Writer& writer, double t) {
    while (o.audio && o.audio->next_time() <= t)
        if (auto a = o.audio->next()) writer.write_audio(*a);
}

// The audio after the last frame, then the file closed and renamed into place.
template <class Writer>
StitchResult finish(Opened& o, Writer& writer, StitchResult result) {
    while (o.audio)
        if (auto a = o.audio->next()) writer.write_audio(*a);
        else break;
    writer.finish();
    result.audio = writer.has_audio();
    return result;
}

// The parts' packets as they are, when all of them are in the output's codec with one set-up.
bool copyable(const StitchJob& job) {
    if (job.reencode) return false;
    std::unique_ptr<io::VideoPackets> first;
    for (const auto& p : job.parts) {
        auto in = open_packets(p);
        if (!first) {
            if (!io::PacketWriter::can_copy(*in->params(), job.output, job.encode)) return false;
            first = std::move(in);
        } else if (!io::same_stream_setup(*first, *in)) {
            spdlog::warn("keyswap: {} is not set up like the first chunk; decoding and encoding once instead of copying",
                         p.name);
            return false;
        }
    }
    return true;
}

StitchResult stitch_copied(const StitchJob& job, const StitchProgress& progress, Opened& o) {
    io::VideoPackets head(job.parts.front().file);
    io::PacketWriter writer(job.output, *head.params(), o.vp.tb_num, o.vp.tb_den, o.vp.fps_num, o.vp.fps_den,
                            head.alpha_layer(), job.encode, o.source);
    StitchResult result;
    result.copied = true;
    double next_start = 0.0;
    const AVRational out_tb{o.vp.tb_num, o.vp.tb_den};
    for (const StitchPart& part : job.parts) {
        auto packets = open_packets(part);
        io::VideoPackets& in = *packets;
        const AVRational tb{in.tb_num(), in.tb_den()};
        const double start = part.start >= 0 ? part.start - job.audio_start : next_start;
        std::int64_t frames = 0, origin = AV_NOPTS_VALUE;
        double last_time = 0.0;
        for (;;) {
            const AVPacket* pkt = nullptr;
            try {
                pkt = in.next();
            } catch (const Error& e) {
                throw Error(ErrorKind::Input, part.name + " is damaged: " + e.detail(), part.file.string());
            }
            if (!pkt) break;
            check_interrupt(job);
            const std::int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (pts == AV_NOPTS_VALUE) fail(ErrorKind::Input, part.name + " has a frame without a time", part.file.string());
            if (origin == AV_NOPTS_VALUE) origin = pts;
            const double time = double(pts - origin) * av_q2d(tb);
            AVPacket out = *pkt;  // shallow: the writer takes its own reference
            out.pts = o.grid.pts(start, time);
            out.dts = pkt->dts != AV_NOPTS_VALUE ? out.pts - av_rescale_q(pts - pkt->dts, tb, out_tb) : AV_NOPTS_VALUE;
            audio_until(o, writer, double(out.dts != AV_NOPTS_VALUE ? out.dts : out.pts) * av_q2d(out_tb));
            writer.write(out);
            ++frames;
            last_time = std::max(last_time, time);
            ++result.frames;
            if (progress) progress(result.frames, o.total);
        }
        check_count(part, frames);
        next_start = start + last_time + double(o.vp.fps_den) / o.vp.fps_num;
    }
    return finish(o, writer, result);
}

StitchResult stitch_encoded(const StitchJob& job, const StitchProgress& progress, Opened& o) {
    io::MediaWriter writer(job.output, o.vp, job.encode, o.source);
    auto open_part = [](const StitchPart& p) {
        check_present(p);
        io::ReaderOptions ro;
        ro.want_audio = false;
        return std::make_unique<io::MediaReader>(p.file, ro);
    };
    StitchResult result;
    double next_start = 0.0;  // for parts without a known start: right after the previous one
    Frame f;
    for (const StitchPart& part : job.parts) {
        auto reader = open_part(part);
        if (reader->info().width != o.vp.width || reader->info().height != o.vp.height)
            fail(ErrorKind::Input, part.name + " is " + std::to_string(reader->info().width) + "x" +
                                       std::to_string(reader->info().height) + ", not the first chunk's size",
                 part.file.string());
        const double start = part.start >= 0 ? part.start - job.audio_start : next_start;
        std::int64_t frames = 0;
        double last_time = 0.0;
        for (;;) {
            check_interrupt(job);
            try {
                if (!reader->read(f)) break;
            } catch (const Error& e) {
                throw Error(ErrorKind::Input, part.name + " is damaged: " + e.detail(), part.file.string());
            }
            f.pts = o.grid.pts(start, f.time);
            audio_until(o, writer, double(f.pts) * o.grid.tb.num / o.grid.tb.den);
            writer.write(f);
            ++frames;
            last_time = f.time;
            ++result.frames;
            if (progress) progress(result.frames, o.total);
        }
        check_count(part, frames);
        next_start = start + last_time + double(o.vp.fps_den) / o.vp.fps_num;
    }
    return finish(o, writer, result);
}

}  // namespace

StitchResult stitch(const StitchJob& job, const StitchProgress& progress) {
    if (job.parts.empty()) fail(ErrorKind::Usage, "nothing to stitch: no chunks given");
    Stopwatch clock;
    std::vector<fs::path> inputs;
    for (const auto& p : job.parts) inputs.push_back(p.file);
    if (!job.audio_from.empty()) inputs.push_back(job.audio_from);
    io::check_output_path(inputs, job.output);
    check_present(job.parts.front());
    Opened o = open_timeline(job, io::probe(job.parts.front().file));
    StitchResult r = copyable(job) ? stitch_copied(job, progress, o) : stitch_encoded(job, progress, o);
    r.seconds = clock.ms() / 1000.0;
    return r;
}

}  // namespace keyswap::scale
