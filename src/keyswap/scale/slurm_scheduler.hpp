#pragma once
// `--scheduler slurm`: one job array (a task per missing chunk, each `keyswap chunk DIR N`)
// and a stitch job that depends on it (afterany: the stitch runs even when a chunk failed,
// and fails naming it, so the reason is in one place). No home-made scheduling: Slurm places
// the tasks; this only writes the two batch scripts, submits them and watches squeue.
// Needs the chunk folder, the input, the output folder and this program at the same paths on
// every node (shared storage). Errors: keyswap::Error with Slurm's own message.
#include <functional>
#include <string>
#include <vector>

#include "keyswap/scale/chunk_plan.hpp"
#include "keyswap/scale/scale_job.hpp"

namespace keyswap::scale {

struct SlurmScripts {
    std::string chunks, stitch;                         // the batch scripts' text
    std::vector<std::string> chunks_submit, stitch_submit;  // sbatch command lines (scripts last)
};

// The scripts for chunks `todo` (array indices = chunk numbers). The stitch command line's
// dependency is completed at submission with the array's job id.
SlurmScripts slurm_scripts(const ChunkPlan& plan, const std::vector<std::size_t>& todo, const ScaleOptions& options,
                           bool keep_chunks);

struct SlurmJobs {
    std::string array_id;  // "" when no chunk needed running
    std::string stitch_id;
};

// Writes the scripts into the chunk folder and submits them.
SlurmJobs submit_slurm(const ChunkPlan& plan, const SlurmScripts& scripts, bool with_array);

// Polls squeue until both jobs have left the queue; `progress` gets the chunks done so far.
void wait_slurm(const ChunkPlan& plan, const SlurmJobs& jobs, const std::function<void(std::size_t)>& progress = {});

}  // namespace keyswap::scale
