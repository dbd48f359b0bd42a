#pragma once
// The true foreground colour of soft pixels, and spill removal.
//
// A keyed pixel is I = a*F + (1-a)*S. Solving F = (I - (1-a)*S) / a (clamped) takes the screen
// out of hair and motion blur, so compositing the straight RGBA over anything shows no fringe.
// Despill then limits the screen's primary channel by a balanced mix of the other two (light
// bounced from the screen onto the subject), optionally giving back the removed luminance.
// Thread safety: pure row kernels over caller-owned rows.
#include <array>

namespace keyswap::matte {

// In place: r,g,b (0..255) become F; alpha in [0,1]; pixels with alpha 0 get the screen removed
// as far as the clamp allows (their colour is invisible in straight alpha).
void solve_foreground_row(float* r, float* g, float* b, const float* sr, const float* sg, const float* sb,
                          const float* alpha, int n);

struct DespillParams {
    float strength = 1.f;       // 0 = off, 1 = full limit
    float balance = 0.5f;       // weight of the first non-primary channel in the limit
    float luma_restore = 0.f;   // 0..1 of the removed luminance added back to all channels
};

// In place on channel rows given in role order: p = the screen's primary, a/b = the others in
// RGB order. `luma` holds the Rec.709 weights of (p, a, b).
void despill_row(float* p, float* a, float* b, const DespillParams& d, const std::array<float, 3>& luma, int n);

}  // namespace keyswap::matte
