#pragma once
// Temporal smoothing of the matte for video.
//
// Edge pixels of a keyed video flicker by a few percent from frame to frame (sensor noise,
// compression). Blending with the previous matte only where the change is small removes that
// flicker, while a large change (real motion) passes straight through, so moving edges do not
// lag: weight = strength * max(0, 1 - |a - prev| / threshold).
// Thread safety: a pure per-pixel function; rows of `prev` are owned by the caller's row range.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace keyswap::matte {

struct TemporalParams {
    float strength = 0.5f;       // 0 = off; weight of the previous matte for unchanged pixels
    float inv_threshold = 12.5f; // 1 / the alpha change that counts as motion
};

// One pixel, inlined into the keyer's fused finish (despill.hpp, finish_row): returns the
// smoothed alpha and stores it in *prev (alpha in 1/65535 steps: a quarter of the memory
// traffic of floats, far finer than the 8-bit output).
inline float temporal_pixel(float alpha, std::uint16_t* prev, const TemporalParams& t) {
    const float d = float(*prev) * (1.f / 65535.f) - alpha;
    const float k = t.strength * std::max(0.f, 1.f - std::fabs(d) * t.inv_threshold);
    const float a = alpha + k * d;
    *prev = std::uint16_t(int(a * 65535.f + 0.5f));  // a is in [0,1]
    return a;
}

}  // namespace keyswap::matte
