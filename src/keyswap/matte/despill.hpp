#pragma once
// The true foreground colour of soft pixels, and spill removal.
//
// A keyed pixel is I = a*F + (1-a)*S. Solving F = (I - (1-a)*S) / a (clamped) takes the screen
// out of hair and motion blur, so compositing the straight RGBA over anything shows no fringe.
// Despill then limits the screen's primary channel by a balanced mix of the other two (light
// bounced from the screen onto the subject), optionally giving back the removed luminance.
// Thread safety: pure row kernels over caller-owned rows.
#include <cstdint>

#include "keyswap/matte/temporal.hpp"

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

// What the keyer's last per-row step reads besides the pixel row. Rows given as lo/hi pairs
// with a weight t are interpolated in the kernel: value = lo[x] + t * (hi[x] - lo[x]).
struct FinishRow {
    // With `refine`, alpha comes from the guided filter's coefficient rows (A_r, A_g, A_b for a
    // 0..255 guide, b; see FastGuidedFilter::coefficient_rows); otherwise it is read from alpha.
    bool refine = false;
    const float* coef_lo[4] = {};
    const float* coef_hi[4] = {};
    float coef_t = 0.f;
    const float* screen_lo[3] = {};  // screen colour r, g, b (0..255)
    const float* screen_hi[3] = {};
    float screen_t = 0.f;
    // The colour of nearby solid foreground as k*r, k*g, k*b, k (ScreenField::kPrior), on the
    // screen rows' grid (weight screen_t); null = no prior. A soft pixel's solved colour F is
    // drawn towards it by rho / (a^2 + rho) of k: the solve divides the pixel's noise and its
    // alpha's error by a, so the fainter the pixel, the less its own colour can be trusted
    // (the least-squares balance of the compositing equation against the prior).
    const float* prior_lo[4] = {};
    const float* prior_hi[4] = {};
    float prior_rho = 0.f;
    std::uint16_t* prev = nullptr;  // previous matte (temporal.hpp), updated
    TemporalParams temporal;        // strength 0 on the first frame
    DespillParams despill;
    int primary = 1;                // the screen's primary channel
};

// The fused finish of one row: alpha (refined or given) -> temporal smoothing -> alpha[x]
// written -> foreground solve and despill as foreground_row -> RGBA8 written in place. One
// pass over the row, with every intermediate in registers.
void finish_row(std::uint8_t* rgba, float* alpha, const FinishRow& f, int n);

}  // namespace keyswap::matte
