#pragma once
// How a long file job is split for scale-out, and the manifest every chunk and the stitch
// read from the shared chunk folder.
//
// What this represents: a `ChunkPlan` is one planned job: the input, the final output, the
// whole frame range cut into consecutive chunks, the warm-up each chunk runs before its
// range, and where each chunk's file, its record and its log live. A chunk is encoded either
// straight in the output's codec and container (each chunk is its own encode, so it starts on
// a keyframe and the stitch copies the packets without re-encoding) or, with lossless chunks,
// as an FFV1-with-alpha MKV intermediate that the stitch encodes once. It is saved as `manifest.json` next to `settings.json` (the pass's settings
// as a settings file) in the chunk folder, which every node must see (shared storage).
// A chunk is done when its record exists: the record is written after the chunk's file is in
// place, so a killed task never counts. A rerun of the same job reuses the chunks that are
// done; a manifest of another job (other settings, input or ranges) makes them stale.
// Thread safety: values. Errors: keyswap::Error naming the file.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keyswap/io/output_format.hpp"

namespace keyswap::scale {

struct ChunkRange {
    std::int64_t first = 0, last = 0;  // input frame indices, inclusive
    std::int64_t frames() const { return last - first + 1; }
};

// Splits first..last (inclusive) into `chunks` nearly equal ranges, or into ranges of
// `chunk_frames` (the last one shorter) when chunk_frames > 0. Never more chunks than frames.
// Throws Error(Usage) for a range or counts that make no chunk.
std::vector<ChunkRange> split_frames(std::int64_t first, std::int64_t last, int chunks, std::int64_t chunk_frames);

// What each chunk reports once its file is in place (chunk_NNNN.json).
struct ChunkRecord {
    std::int64_t frames = 0;
    double start = 0.0;  // input time of the chunk's first frame, seconds
    double end = -1.0;   // input time of the frame after it (-1: the chunk ran to the input's end)
};

struct ChunkPlan {
    std::filesystem::path dir;      // the chunk folder (absolute)
    std::filesystem::path input;    // absolute
    std::filesystem::path output;   // the final output (absolute)
    std::int64_t first = 0, last = 0;  // the whole job's input frames, inclusive
    std::int64_t warm_up = 0;
    bool audio = true;              // carry the input's audio into the final output
    io::EncodeOptions encode;       // the final output's encoding
    bool final_codec = true;        // chunks in the output's codec (else FFV1 intermediates)
    std::vector<ChunkRange> chunks;
    std::string fingerprint;        // same job <=> same fingerprint

    std::filesystem::path manifest_file() const { return dir / "manifest.json"; }
    std::filesystem::path settings_file() const { return dir / "settings.json"; }
    std::filesystem::path chunk_file(std::size_t i) const;
    io::EncodeOptions chunk_encode() const;  // how each chunk is encoded
    std::filesystem::path record_file(std::size_t i) const;
    std::filesystem::path log_file(std::size_t i) const;
    std::filesystem::path stitch_log() const { return dir / "logs" / "stitch.log"; }
    // The stitch's verdict: "ok", or its error message (the schedulers read it back).
    std::filesystem::path stitch_result() const { return dir / "stitch.result"; }

    // "chunk 3 (frames 90-119)" for messages.
    std::string describe(std::size_t i) const;
    std::optional<ChunkRecord> record(std::size_t i) const;  // nullopt while the chunk is not done
    std::vector<std::size_t> missing() const;                 // chunks not done, in order
};

nlohmann::json to_json(const ChunkPlan& plan);
// Reads DIR/manifest.json (or the manifest file itself). Throws Error(Input) naming it.
ChunkPlan load_plan(const std::filesystem::path& dir_or_manifest);

// Writes the manifest atomically. If the folder holds chunks of another job they are removed
// first (stale); chunks of this same job are kept for reuse. Returns how many were reused.
std::size_t save_plan(const ChunkPlan& plan);

// Writes a chunk's record atomically (after its file is in place).
void save_record(const ChunkPlan& plan, std::size_t i, const ChunkRecord& record);

// A stable 64-bit hash (FNV-1a), hex, for fingerprints.
std::string fingerprint_of(const std::string& text);

}  // namespace keyswap::scale
