#pragma once
// Raw alpha from a pixel and the screen colour behind it, followed by the matte levels.
//
// Colour-difference keying: D(x) = w . x measures how much "screen" a colour holds (primary
// channel minus a balanced mix of the other two; see ScreenColour). A pixel I = a*F + (1-a)*S
// has D(I) = a*D(F) + (1-a)*D(S); foregrounds hold no screen colour (D(F) <= 0 once despilled),
// so 1 - D(I)/D(S) is the alpha, exact for neutral foregrounds and never below it otherwise.
// Clip black/white then stretch [clip_black, clip_white] to [0, 1] so backdrop noise and spill
// inside the subject do not leave a veil or holes.
// Thread safety: pure row kernels.
#include <array>
#include <cstdint>

namespace keyswap::matte {

struct MatteLevels {
    float offset = 0.f;  // alpha = clamp((raw - clip_black) / (clip_white - clip_black))
    float gain = 1.f;    //       = clamp(raw * gain + offset)
    static MatteLevels from_clips(double clip_black, double clip_white) {
        const double span = clip_white - clip_black > 1e-3 ? clip_white - clip_black : 1e-3;
        return {float(-clip_black / span), float(1.0 / span)};
    }
};

// alpha[x] from an RGBA8 row, the reciprocal of the local screen's colour difference
// inv_ds[x] = 1 / D(S(x)) and the raw-alpha scale ws[x] of the nearby solid foreground (1 when
// none; see ScreenField).
void chroma_alpha_row(const std::uint8_t* rgba, const float* inv_ds, const float* ws, const std::array<float, 3>& w,
                      MatteLevels levels, int n, float* alpha);

// The same alpha with 1/D(S) and the scale given as two rows and a weight (inv = inv0 + t *
// (inv1 - inv0), likewise ws; see ScreenField::rows), not stored but added, with the pixel's r, g, b
// (0..255), to the column sums sums[0..3][x] (planes of n floats: r, g, b, alpha), for the
// guided filter's statistics.
void chroma_alpha_sums_row(const std::uint8_t* rgba, const float* inv0, const float* inv1, const float* ws0,
                           const float* ws1, float t, const std::array<float, 3>& w, MatteLevels levels, int n,
                           float* sums);

// Clean-plate difference keying: raw alpha is the RGB distance from the plate divided by
// `tolerance` (0..255 units), then the same levels.
void plate_alpha_row(const float* r, const float* g, const float* b, const float* pr, const float* pg,
                     const float* pb, float tolerance, MatteLevels levels, int n, float* alpha);

}  // namespace keyswap::matte
