#pragma once
// Compositing a keyed foreground over a new background, and alpha modes.
//
// Conventions: foregrounds are straight (unpremultiplied) RGBA8 as the keyer writes them (colour
// = the estimated true foreground, A = matte); backgrounds are opaque RGBA8 of the same size
// (their alpha is ignored). Kernels are row-parallel over the given pool and write only `out`.
// Thread safety: functions are reentrant; callers must not share `out` between calls.
#include <array>
#include <cstdint>

#include "keyswap/core/image.hpp"
#include "keyswap/core/params.hpp"
#include "keyswap/core/thread_pool.hpp"

namespace keyswap::compose {

struct ComposeSettings {
    bool light_wrap = false;     // let the background's light bleed onto the subject's edges
    double wrap_radius = 12.0;   // px: how far the background light reaches into the subject
    double wrap_strength = 0.5;  // 0..1
};

// Keys: "light-wrap", "wrap-radius", "wrap-strength".
const ParamTable<ComposeSettings>& compose_params();

// out = fg over bg, A = 255.
// requires: fg, bg, out RGBA with equal sizes; out may alias fg (not bg).
// Light wrap allocates its blurred planes per call (it is off by default).
void composite_over(ImageView<const std::uint8_t> fg, ImageView<const std::uint8_t> bg, ImageView<std::uint8_t> out,
                    const ComposeSettings& s, ThreadPool& pool);

// out = fg over a solid colour, A = 255. out may alias fg.
void composite_over_colour(ImageView<const std::uint8_t> fg, const std::array<std::uint8_t, 3>& colour,
                           ImageView<std::uint8_t> out, ThreadPool& pool);

// In place: RGB *= A / 255 (rounded), for outputs that expect premultiplied alpha.
void premultiply(ImageView<std::uint8_t> rgba, ThreadPool& pool);

}  // namespace keyswap::compose
