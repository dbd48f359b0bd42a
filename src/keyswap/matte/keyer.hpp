#pragma once
// The chroma keyer: one object that turns a green/blue-screen (or clean-plate) frame into a
// soft matte plus the estimated true foreground colour.
//
// What this represents: a configured keying stage with per-clip state (the detected screen
// colour, the previous matte for temporal smoothing, buffers sized for the last frame size).
// Per frame it runs, in order:
//   chroma restoration on subsampled sources (chroma_restore.hpp) ->
//   screen field and the nearby solid foreground's scale (screen_field.hpp) ->
//   colour-difference alpha + matte levels
//   (colour_difference.hpp) -> fast guided refinement at reduced resolution
//   (guided_filter.hpp) -> optional shrink/grow and softness (matte_shape.hpp) -> garbage and
//   core mattes (garbage.hpp) -> temporal smoothing (temporal.hpp) -> foreground solve and
//   despill (despill.hpp) -> RGBA8 out.
// Thread safety: not thread safe; one Keyer per stream. `process` parallelises internally over
// the pool it is given. `update` must be called between frames (the pipeline swaps a settings
// snapshot and calls it from the processing thread).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/core/params.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/core/timing.hpp"

namespace keyswap::matte {

struct KeyerSettings {
    std::string key = "auto";        // auto | green | blue | #RRGGBB | plate:FILE
    double balance = 0.5;            // weight of the first non-screen channel (R for green, R for blue)
    double clip_black = 0.06;        // raw alpha at or below this becomes 0
    double clip_white = 0.85;        // raw alpha at or above this becomes 1
    bool local_black = true;         // refined mattes: clip black only next to clear backdrop
    bool foreground_prior = true;    // soft pixels' alpha scaled by the colour of nearby solid foreground
    bool restore_chroma = true;      // subsampled sources: chroma rebuilt from luma before keying
    double plate_tolerance = 0.25;   // plate keying: colour distance (fraction of 255) that is fully opaque
    int shrink_grow = 0;             // px; negative shrinks the matte, positive grows it
    double softness = 0.0;           // px; blur radius applied to the matte edge
    bool refine = true;              // guided refinement of the matte by the full-resolution image
    int refine_radius = 8;           // px at full resolution
    double refine_eps = 0.00005;     // guided filter regularisation (larger = smoother matte, smaller = finer hair)
    double despill = 1.0;            // despill strength
    double despill_balance = 0.5;    // weight of the first non-screen channel in the spill limit
    double luma_restore = 0.0;       // give back this fraction of the luminance despill removed
    double temporal = 0.5;           // video: blend weight of the previous matte where change is small
    double temporal_threshold = 0.08;  // alpha change above which a pixel counts as motion (no blending)
    std::vector<std::string> garbage;  // x,y,w,h rectangles (pixels) forced to background
    std::vector<std::string> core;     // x,y,w,h rectangles forced to foreground
};

// One row per setting; keys are the CLI flag names ("key", "clip-black", "despill", "garbage", ...).
const ParamTable<KeyerSettings>& keyer_params();

struct KeyReport {
    bool found = false;                        // a screen colour was found in (or given for) the frame
    std::array<std::uint8_t, 3> screen_rgb{};  // the global screen colour
    std::string description;                   // e.g. "green screen #3FB04A (64% of frame)"
};

class Keyer {
public:
    // requires: settings within keyer_params() ranges; key is auto|green|blue|#RRGGBB|plate:FILE,
    // garbage/core entries are "x,y,w,h". Throws Error(Usage) otherwise.
    explicit Keyer(const KeyerSettings& s);
    ~Keyer();
    Keyer(Keyer&&) noexcept;
    Keyer& operator=(Keyer&&) noexcept;

    // For key=plate:FILE: the decoded empty backdrop (any channel count 1/3/4; resized to the
    // frame if the sizes differ). Required before the first process() in plate mode.
    void set_plate(const ImageU8& image);
    // Optional masks (1, 3 or 4 channels; the first channel is read; resized to the frame).
    void set_garbage_mask(const ImageU8& mask);  // white = always background
    void set_core_mask(const ImageU8& mask);     // white = always foreground

    // Keys `frame` in place.
    // ensures: frame RGB = despilled straight foreground colour, A = round(255 * alpha);
    //          matte = float alpha in [0,1], frame-sized (reused across frames);
    //          times (if given) gains "key.chroma", "key.screen", "key.matte", "key.refine", "key.despill".
    // throws: Error(Input) when key=auto finds no backdrop, or plate mode has no plate.
    void process(Frame& frame, ImageF32& matte, ThreadPool& pool, StageTimes* times = nullptr);

    // Keys `frame` in place with a given matte instead of pulling one: the same screen estimate,
    // foreground solve and despill as process(), without refinement, regions or temporal
    // smoothing. Used to key with an external matte, and by the benchmark's true-alpha reference.
    // requires: alpha is frame-sized, values in [0,1].
    // ensures: frame RGB = despilled foreground colour for that matte, A = round(255 * alpha).
    void process_with_matte(Frame& frame, const ImageF32& alpha, ThreadPool& pool);

    const KeyReport& report() const;
    // Takes the screen colour from `frame` now, as the first frame processed would (a chunk of
    // a longer job takes it from the job's first frame, so every chunk keys against the same
    // colour). Nothing changes once the colour is known or when keying by plate or model.
    void take_screen_from(const Frame& frame);
    const KeyerSettings& settings() const;
    // Checks settings as the constructor and update() do. Throws Error(Usage) naming the key.
    static void validate(const KeyerSettings& s);
    // Live change between frames; validates like the constructor (the old settings stay on error).
    void update(const KeyerSettings& s);
    // Forgets temporal state and the detected screen colour (new clip or a cut).
    void reset();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace keyswap::matte
