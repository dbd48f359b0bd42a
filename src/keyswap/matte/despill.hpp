#pragma once
// The true foreground colour of soft pixels, and spill removal.
//
// A keyed pixel is I = a*F + (1-a)*S. Solving F = (I - (1-a)*S) / a (clamped) takes the screen
// out of hair and motion blur, so compositing the straight RGBA over anything shows no fringe.
// Despill then limits the screen's primary channel by a balanced mix of the other two (light
// bounced from the screen onto the subject), optionally giving back the removed luminance.
// Thread safety: pure row kernels over caller-owned rows.
#include <cstdint>

namespace keyswap::matte {

struct DespillParams {
    float strength = 1.f;       // 0 = off, 1 = full limit
    float balance = 0.5f;       // weight of the first non-primary channel in the limit
    float luma_restore = 0.f;   // 0..1 of the removed luminance added back to all channels
};

// One fused pass per row: F = clamp((I - (1-a)*S) / a) from the RGBA8 row and the screen rows
// sr,sg,sb; then despill of the screen's `primary` channel (0..2; strength 0 = off); then the
// row is written back as RGBA8 with A = round(255 * alpha).
// Pixels with alpha 0 become black (invisible in straight alpha; cheap to encode).
void foreground_row(std::uint8_t* rgba, const float* alpha, const float* sr, const float* sg, const float* sb,
                    int primary, const DespillParams& d, int n);

}  // namespace keyswap::matte
