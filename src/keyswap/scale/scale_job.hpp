#pragma once
// A file job spread over processes or machines: `keyswap process ... --chunks N`.
// Plans the chunks (scale/chunk_plan.hpp) in a folder every node sees, runs the missing ones
// through a scheduler (local processes, or a Slurm job array with a dependent stitch job),
// and stitches them into the output. The chunk processes are this same program
// (`keyswap chunk DIR N`), so a local run and a cluster run take the same path.
// Errors: keyswap::Error naming the chunk, the file or the scheduler's complaint.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "keyswap/pipeline/settings.hpp"
#include "keyswap/scale/chunk_plan.hpp"

namespace keyswap::scale {

enum class Scheduler { Local, Slurm };

struct ScaleOptions {
    int chunks = 0;                  // split into this many chunks...
    std::int64_t chunk_frames = 0;   // ...or into chunks of this many frames
    Scheduler scheduler = Scheduler::Local;
    std::filesystem::path chunk_dir; // "" = OUTPUT.chunks next to the output
    std::int64_t warm_up = -1;       // frames before each chunk; -1 = two seconds of the input
    int parallel = 0;                // local: chunk processes at once, 0 = one per core (at most one per chunk)
    std::string partition;           // slurm: --partition
    std::vector<std::string> sbatch_args;  // slurm: passed to both sbatch calls as they are
    bool detach = false;             // slurm: submit and return
    bool dry_run = false;            // print the plan and job scripts, run nothing, write nothing
    bool plan_only = false;          // write the chunk folder (manifest, settings), run nothing: for other schedulers
    bool keep_chunks = false;        // keep the chunk folder after a good stitch
    bool lossless_chunks = false;    // FFV1 intermediates encoded once by the stitch, instead of
                                     // chunks in the output's codec joined without re-encoding
};

struct ScaleRequest {
    std::filesystem::path input, output;
    pipeline::Settings settings;
};

// The plan for a request: counts the input's frames, applies --frames, splits, and
// fingerprints the settings, input and ranges. Writes nothing.
ChunkPlan make_plan(const ScaleRequest& request, const ScaleOptions& options);

// The chunk processes' settings: the request's, less what the plan decides per chunk.
pipeline::Settings chunk_settings(const pipeline::Settings& settings);

// Plans, runs and stitches (or prints, for a dry run). Progress and a summary on stderr
// unless the settings say quiet.
void run_chunked(const ScaleRequest& request, const ScaleOptions& options);

}  // namespace keyswap::scale
