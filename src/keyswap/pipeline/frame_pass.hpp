#pragma once
// The fused frame pass: matte, faces, blend and composite on one decoded frame.
//
// What this represents: the configured per-frame work of a run. For each frame, once:
//   1. matte: the keyer turns the frame into straight RGBA (despilled foreground colour, A =
//      matte) and a float matte; without a keyer, an input that carries alpha supplies the
//      matte itself;
//   2. faces: the swapper replaces the selected faces, its blend weight multiplied by that
//      same matte (no swapped pixel where alpha is 0; the swap fades where the matte is soft);
//   3. output: straight RGBA, premultiplied RGBA, or composited over the background.
// Buffers (matte, background) are sized once and reused; each stage is row-parallel over the
// shared pool. Stage times accumulate in `times()` ("key.*", "face.*", "compose").
// Thread safety: one thread calls process() (the stream's pass thread).
#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keyswap/compose/composite.hpp"
#include "keyswap/core/image.hpp"
#include "keyswap/core/params.hpp"
#include "keyswap/core/snapshot.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/core/timing.hpp"
#include "keyswap/face/face_swapper.hpp"
#include "keyswap/io/media_info.hpp"
#include "keyswap/io/output_format.hpp"
#include "keyswap/matte/keyer.hpp"
#include "keyswap/pipeline/background.hpp"

namespace keyswap::pipeline {

// Alpha of transparent outputs: straight colour, or colour premultiplied by alpha.
enum class AlphaMode { Straight, Premultiplied };
inline constexpr std::array<const char*, 2> kAlphaModeNames{"straight", "premultiplied"};

struct PassOptions {
    AlphaMode alpha = AlphaMode::Straight;
    std::string background;                // "" | #RRGGBB | image or video file
    BackgroundFit background_fit = BackgroundFit::Cover;
    BackgroundEnd background_end = BackgroundEnd::Loop;  // video backgrounds shorter than the input
    std::string garbage_mask;              // image: white = always background
    std::string core_mask;                 // image: white = always foreground
    std::string debug_matte;               // write the matte alone (image, or a printf pattern per frame)
};

// Keys: "alpha", "background", "background-fit", "background-end", "garbage-mask", "core-mask", "debug-matte".
const ParamTable<PassOptions>& pass_params();

struct PassConfig {
    std::optional<matte::KeyerSettings> keyer;  // nullopt: no keying
    std::optional<face::FaceSettings> face;     // nullopt: no face swap
    compose::ComposeSettings compose;
    PassOptions options;
};

struct PassSummary {
    std::int64_t frames = 0;
    std::int64_t frames_with_faces = 0;
    std::int64_t faces_swapped = 0;
    std::string screen;  // the keyer's report of the screen colour, if keying
};

// The live-changeable snapshot of a running pass (core/snapshot.hpp).
using PassSlot = SnapshotSlot<PassConfig>;

class FramePass {
public:
    // Loads everything the configuration names (source photos, reference, plate, masks,
    // background) and the models. Throws keyswap::Error naming the file on any problem, before
    // the first frame.
    FramePass(const PassConfig& config, ThreadPool& pool);
    ~FramePass();

    // Checks the output can hold what the pass makes: a transparent result needs an output
    // with alpha unless there is a background. Throws Error(Usage).
    void start(const io::MediaInfo& input, const io::OutputFormat& output);
    // Runs the pass on one frame. With a followed slot, first takes its newest snapshot.
    // A warm-up frame (Frame::warm_up) only moves the history-dependent stages on (the key's
    // temporal state, face tracks and smoothing): no side output, no compositing, not counted.
    void process(Frame& frame);

    // For a run that starts `frames` output frames into a longer job (a chunk): the first
    // frame is numbered `frames` in per-frame side outputs and a video background starts at
    // that frame, as the whole run would have them. Call before the first frame.
    void set_output_offset(std::int64_t frames);
    // Takes what a run fixes on its first frame (the screen colour) from `first`, the whole
    // job's first frame, so a chunk keys as the whole run does. Call before the first frame.
    void prime(const Frame& first);

    // Live settings: from now on, before each frame, take the newest snapshot published to
    // `slot` (when newer than the one in use) and apply it with update(). A snapshot that
    // update() rejects is logged and skipped; the pass keeps its settings.
    void follow(std::shared_ptr<const PassSlot> slot);

    // Applies new settings between frames: re-runs the stages' configure steps. Settings that
    // cannot change while running (rows with runtime = false, switching keying or the face
    // swap on or off, plate keying) keep their current values; returns one line per refused
    // change. Throws Error(Usage) for invalid settings, changing nothing.
    std::vector<std::string> update(const PassConfig& next);
    const PassConfig& config() const { return config_; }

    // Files the pass reads (photos, reference, plate, masks, background file) and writes
    // (the debug matte), for the caller's check that no output replaces an input.
    std::vector<std::filesystem::path> input_files() const;
    std::vector<std::filesystem::path> output_files() const;

    const StageTimes& times() const { return times_; }
    const PassSummary& summary() const { return summary_; }
    bool makes_transparency(bool input_has_alpha) const;

private:
    PassConfig config_;
    ThreadPool& pool_;
    std::unique_ptr<matte::Keyer> keyer_;
    std::unique_ptr<face::FaceSwapper> swapper_;
    std::unique_ptr<Background> background_;
    std::pair<int, int> plate_size_{0, 0}, garbage_size_{0, 0}, core_size_{0, 0};  // as loaded, for start()
    ImageF32 matte_;
    ImageU8 debug_;
    StageTimes times_;
    PassSummary summary_;
    std::shared_ptr<const PassSlot> slot_;
    std::uint64_t slot_seen_ = 0;
    std::int64_t output_offset_ = 0;
};

}  // namespace keyswap::pipeline
