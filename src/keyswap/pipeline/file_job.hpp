#pragma once
// One file job: the fused pass over an input file (or a range of it) into an output, as
// `keyswap process` runs it and as each chunk of a scaled-out job runs it (scale/), so both
// take exactly the same path through the library.
// Thread safety: one job per call; the pass runs on the stream's threads.
#include <cstdint>
#include <filesystem>
#include <memory>

#include "keyswap/pipeline/frame_pass.hpp"
#include "keyswap/pipeline/settings.hpp"
#include "keyswap/pipeline/stream.hpp"

namespace keyswap::pipeline {

struct FileJob {
    std::filesystem::path input, output;
    Settings settings;
    // Frames before the range processed and discarded, so tracks, smoothing and the temporal
    // matte reach the range's first frame as a run from the start would.
    std::int64_t warm_up = 0;
    // The range's first frame is this many frames into the whole job (per-frame side outputs
    // and a video background follow it).
    std::int64_t output_offset = 0;
    // The whole job's first frame, when this job is a part of it: what the pass fixes on its
    // first frame (the screen colour) is taken from there (-1: from this job's own first frame).
    std::int64_t job_first_frame = -1;
    std::shared_ptr<const PassSlot> follow;  // live settings (--watch); may be null
};

struct FileJobResult {
    StreamStats stream;
    PassSummary summary;
};

// Sets the shared thread count and the execution provider from the run settings, builds the
// pass and runs the stream. Throws keyswap::Error naming the file.
FileJobResult run_file_job(const FileJob& job, const ProgressFn& progress = {});

// What run_file_job would refuse before its first frame (an output without alpha for a keyed
// result, missing photos, a clean plate of another size...), checked without running it: a
// job split into chunks fails here once instead of in every chunk on every node.
void check_file_job(const FileJob& job);

}  // namespace keyswap::pipeline
