#pragma once
// The second anchor of keyer_vs_ffmpeg: a colour-difference keyer of the Keylight / Blender
// "Keying" node family, written here from its published description (not from either code
// base), so keyswap is compared with the classic compositing-package approach, tuned per scene.
//
// Per pixel, with the picked screen colour C (primary channel P, other channels A and B):
//   saturation(x) = x_P - (balance * min(x_A, x_B) + (1 - balance) * max(x_A, x_B))
//   raw alpha     = 1 - saturation(I) / saturation(C)   (1 where P is not I's largest channel)
//   alpha         = clamp((raw - clip_black) / (clip_white - clip_black))
//   colour        = I with its screen subtracted when `unmix` (Keylight's screen subtraction:
//                   (I - (1 - alpha) * C) / alpha), else I as is (the Blender node), then
//                   despill: x_P -= despill * max(0, x_P - (despill_balance * min + (1 - ...) * max)).
// Output: straight RGBA8 (alpha 0 -> black).
// Thread safety: pure function.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

#include "keyswap/core/image.hpp"

namespace keyswap::bench {

struct ColourDifferenceParams {
    double balance = 0.5, clip_black = 0.0, clip_white = 1.0, despill = 1.0, despill_balance = 0.5;
    bool unmix = false;
    std::string text() const {
        char b[160];
        std::snprintf(b, sizeof b, "balance=%.2f clip=%.2f..%.2f despill=%.2f (bal %.2f)%s", balance, clip_black,
                      clip_white, despill, despill_balance, unmix ? " screen-subtract" : "");
        return b;
    }
};

inline void colour_difference_key(const ImageU8& in, const std::array<std::uint8_t, 3>& screen,
                                  const ColourDifferenceParams& p, ImageU8& out) {
    const int P = int(std::max_element(screen.begin(), screen.end()) - screen.begin());
    const int A = P == 0 ? 1 : 0, B = P == 2 ? 1 : 2;
    auto saturation = [&](float xp, float xa, float xb, double bal) {
        return xp - float(bal * std::min(xa, xb) + (1.0 - bal) * std::max(xa, xb));
    };
    const float sc[3] = {float(screen[0]), float(screen[1]), float(screen[2])};
    const float s_screen = std::max(1.f, saturation(sc[P], sc[A], sc[B], p.balance));
    const float span = float(std::max(1e-3, p.clip_white - p.clip_black));
    out.reshape(in.width(), in.height(), 4);
    for (int y = 0; y < in.height(); ++y) {
        const std::uint8_t* src = in.row(y);
        std::uint8_t* dst = out.row(y);
        for (int x = 0; x < in.width(); ++x) {
            float c[3] = {float(src[4 * x]), float(src[4 * x + 1]), float(src[4 * x + 2])};
            float raw = 1.f;
            if (c[P] >= c[A] && c[P] >= c[B]) raw = 1.f - saturation(c[P], c[A], c[B], p.balance) / s_screen;
            const float a = std::clamp((raw - float(p.clip_black)) / span, 0.f, 1.f);
            if (a <= 0.f) {
                dst[4 * x] = dst[4 * x + 1] = dst[4 * x + 2] = dst[4 * x + 3] = 0;
                continue;
            }
            if (p.unmix)
                for (int k = 0; k < 3; ++k) c[k] = std::clamp((c[k] - (1.f - a) * sc[k]) / a, 0.f, 255.f);
            const float spill = saturation(c[P], c[A], c[B], p.despill_balance);
            if (spill > 0.f) c[P] -= float(p.despill) * spill;
            for (int k = 0; k < 3; ++k) dst[4 * x + k] = std::uint8_t(std::clamp(c[k], 0.f, 255.f) + 0.5f);
            dst[4 * x + 3] = std::uint8_t(a * 255.f + 0.5f);
        }
    }
}

}  // namespace keyswap::bench
