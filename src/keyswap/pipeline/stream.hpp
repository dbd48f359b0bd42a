#pragma once
// The threaded stream: decode -> pass -> encode on three threads joined by bounded queues,
// so the next frame is decoded and the previous one encoded while this one is processed.
// Order and timestamps are preserved; frame buffers are recycled, so memory stays flat
// however long the input is. Audio packets travel with the frame they were read before.
//
// Errors from any thread stop all three and are rethrown on the caller's thread; the output
// then stays under its temporary name and is removed (never a partial file under the final
// name). Ctrl-C (pipeline/interrupt.hpp) ends the run with Error(Interrupted).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/core/timing.hpp"
#include "keyswap/io/media_info.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/output_format.hpp"

namespace keyswap::pipeline {

struct StreamJob {
    std::filesystem::path input;
    std::filesystem::path output;
    // Files the work reads or writes besides these (photos, masks, background; a debug matte),
    // so no output, main or side, can replace any file the run reads.
    std::vector<std::filesystem::path> side_inputs;
    std::vector<std::filesystem::path> side_outputs;
    io::ReaderOptions reader;
    io::EncodeOptions encode;
    int queue_depth = 3;       // frames in flight between two threads
    bool keep_audio = true;
};

struct StreamStats {
    std::int64_t frames = 0;
    double seconds = 0.0;
    double fps = 0.0;
    bool audio = false;
    io::MediaInfo input;
    double range_start = 0.0;  // input time of the first frame written, seconds
    double range_end = -1.0;   // input time of the frame after the range (-1: the range ran to the end)
};

// Called on the pass thread, in frame order. Called once before the first frame with the
// input's description so the pass can size buffers and check the output can hold what it
// makes (e.g. alpha).
struct FrameWork {
    std::function<void(const io::MediaInfo& input, const io::OutputFormat& output)> start;
    std::function<void(Frame&)> process;
};

using ProgressFn = std::function<void(std::int64_t done, std::int64_t total, double fps)>;

StreamStats run_stream(const StreamJob& job, const FrameWork& work, const ProgressFn& progress = {});

}  // namespace keyswap::pipeline
