#pragma once
// Joins a job's chunks, in order, into its final output, with the input's audio carried in
// sync over the whole range and the frame count checked against the plan. Chunks already in
// the output's codec, all with one set-up (each starts on a keyframe: every chunk is its own
// encode), are copied packet by packet without re-encoding; otherwise they are decoded once
// and encoded once to the requested format (FFV1 to FFV1 is lossless either way). Written under a temporary name and renamed (io::MediaWriter), so a failed
// stitch never leaves a complete-looking output.
// Thread safety: one call at a time. Errors: keyswap::Error naming the chunk or file.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "keyswap/io/output_format.hpp"
#include "keyswap/scale/chunk_plan.hpp"

namespace keyswap::scale {

struct StitchPart {
    std::filesystem::path file;
    std::string name;               // for messages ("chunk 3 (frames 90-119)" or the file)
    std::int64_t expected = -1;     // frames the part must hold (-1: unchecked)
    double start = -1.0;            // input time of its first frame (-1: right after the previous part)
};

struct StitchJob {
    std::vector<StitchPart> parts;
    std::filesystem::path output;
    io::EncodeOptions encode;
    std::filesystem::path audio_from;  // the input whose audio is carried ("" = none)
    double audio_start = 0.0;          // input time of the output's first frame
    double audio_end = -1.0;           // input time the audio stops (-1: to the input's end)
    bool reencode = false;             // decode and encode even where the packets could be copied
};

struct StitchResult {
    std::int64_t frames = 0;
    bool audio = false;
    bool copied = false;  // packets copied as they are (no re-encode)
    double seconds = 0.0;
};

// The stitch of a planned job. Throws Error(Input) naming every chunk that is not done.
StitchJob stitch_job_of(const ChunkPlan& plan);

using StitchProgress = std::function<void(std::int64_t done, std::int64_t total)>;
StitchResult stitch(const StitchJob& job, const StitchProgress& progress = {});

}  // namespace keyswap::scale
