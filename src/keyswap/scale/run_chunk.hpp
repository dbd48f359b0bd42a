#pragma once
// One chunk of a planned job: what `keyswap chunk DIR N` runs, on whichever machine the
// scheduler put it. It reads the plan and the settings from the chunk folder, warms the
// history-dependent stages up on the frames before its range (processed, not written), writes
// its range to the lossless intermediate (FFV1 with alpha, no audio: the stitch carries the
// input's) and records it as done.
// Errors: keyswap::Error naming the file; the chunk then has no record (a rerun redoes it).
#include <cstddef>

#include "keyswap/scale/chunk_plan.hpp"
#include "keyswap/scale/stitch.hpp"

namespace keyswap::scale {

// `threads` 0 = the settings' own thread count.
ChunkRecord run_chunk(const ChunkPlan& plan, std::size_t index, int threads = 0);

// A plan's stitch, as `keyswap stitch DIR` runs it: writes the verdict ("ok" or the error)
// to the plan's stitch.result for the scheduler that waits on it, and on success removes the
// chunk files (their records go with them, so a rerun starts over).
StitchResult stitch_plan(const ChunkPlan& plan, bool keep_chunks);

}  // namespace keyswap::scale
