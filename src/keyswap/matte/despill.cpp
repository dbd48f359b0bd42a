#include "keyswap/matte/despill.hpp"

#include <algorithm>

#include "keyswap/matte/guided_filter.hpp"
#include "keyswap/matte/row_kernels.hpp"

namespace keyswap::matte {
namespace {

// Clamped float to 0..255 (converts first and clamps in integers, which vectorises; see floor_at).
inline std::uint32_t to_u8_int(float v) {
    const int i = int(v + 0.5f);  // v is finite and far inside int range by construction
    return std::uint32_t(i < 0 ? 0 : i > 255 ? 255 : i);
}

// P = the screen's primary channel; A, B = the other two in RGB order. A template so the
// channel roles cost nothing per pixel. Despill of a foreground colour c (0..255) and its
// packing into the RGB bytes of an RGBA word (A = 0).
template <int P>
inline std::uint32_t despill_pack(float* c, float s, float bal, float restore) {
    constexpr int A = P == 0 ? 1 : 0, B = P == 2 ? 1 : 2;
    // Spill is screen light on the subject: the primary may not exceed the balanced mix of
    // the other two. Luminance restore gives the removed light back as grey.
    const float limit = bal * c[A] + (1.f - bal) * c[B];
    const float removed = s * std::max(0.f, c[P] - limit);
    const float back = restore * removed;
    c[P] = c[P] - removed + back;
    c[A] += back;
    c[B] += back;
    return to_u8_int(c[0]) | to_u8_int(c[1]) << 8 | to_u8_int(c[2]) << 16;
}

// 1 for a pixel of alpha a at or above half an 8-bit step, else 0 (branch-free): fully
// transparent pixels get black rather than amplified backdrop noise (see unmix_pixel).
inline float visible(float a) { return std::min(1.f, std::max(0.f, (a * 255.f - 0.5f) * 1e6f)); }

// The unmixed colour c of a pixel of alpha a drawn towards the prior colour (pk = k * prior,
// k its trust): c += rho * (pk - k * c) / (a^2 + rho).
inline void apply_prior(float* c, float a, const float* pk, float k, float rho) {
    const float g = rho / (a * a + rho);
    for (int i = 0; i < 3; ++i) c[i] += g * (pk[i] - k * c[i]);
}

// Foreground solve (without prior) of one pixel of alpha a into c[3].
inline void unmix_pixel(std::uint32_t in, float a, float sr, float sg, float sb, float* c) {
    // 1/255 floor: below one 8-bit step the colour cannot be seen and noise would explode.
    // Fully transparent pixels get black rather than amplified backdrop noise: invisible
    // either way in straight alpha, but noise there costs bitrate, bleeds through 4:2:0
    // chroma at the edge, and gives a face detector a cluttered frame to search.
    const float inv = visible(a) / floor_at(a, 1.f / 255.f);
    const float k = 1.f - a;
    c[0] = clampf((float(in & 255u) - k * sr) * inv, 0.f, 255.f);
    c[1] = clampf((float((in >> 8) & 255u) - k * sg) * inv, 0.f, 255.f);
    c[2] = clampf((float((in >> 16) & 255u) - k * sb) * inv, 0.f, 255.f);
}

// Foreground solve, despill and packing of one pixel of alpha a:
template <int P>
inline std::uint32_t foreground_pixel(std::uint32_t in, float a, float sr, float sg, float sb, float s, float bal,
                                      float restore) {
    float c[3];
    unmix_pixel(in, a, sr, sg, sb, c);
    return despill_pack<P>(c, s, bal, restore) | std::uint32_t(to_u8_int(a * 255.f)) << 24;
}

// The same with the prior colour of nearby solid foreground (pk = k * prior, k its trust).
template <int P>
inline std::uint32_t foreground_pixel_prior(std::uint32_t in, float a, float sr, float sg, float sb, const float* pk,
                                            float k, float rho, float s, float bal, float restore) {
    float c[3];
    unmix_pixel(in, a, sr, sg, sb, c);
    apply_prior(c, a, pk, k, rho);
    // Transparent pixels stay black (see unmix_pixel), whatever the prior says.
    const float on = visible(a);
    for (int i = 0; i < 3; ++i) c[i] *= on;
    return despill_pack<P>(c, s, bal, restore) | std::uint32_t(to_u8_int(a * 255.f)) << 24;
}

constexpr float k709[3] = {0.2126f, 0.7152f, 0.0722f};

template <int P>
KEYSWAP_ROW_KERNEL void foreground_kernel(std::uint8_t* __restrict rgba, const float* __restrict alpha,
                                          const float* __restrict sr, const float* __restrict sg,
                                          const float* __restrict sb, DespillParams d, int n) {
    const float s = d.strength, bal = d.balance, restore = d.luma_restore * k709[P];
    for (int x = 0; x < n; ++x) {
        // The pixel is read and written as one 32-bit word: byte loads and a word store on the
        // same row keep GCC from vectorising the in-place loop.
        std::uint32_t in;
        std::memcpy(&in, rgba + 4 * x, 4);
        const std::uint32_t px = foreground_pixel<P>(in, alpha[x], sr[x], sg[x], sb[x], s, bal, restore);
        std::memcpy(rgba + 4 * x, &px, 4);
    }
}

// Pixels per chunk of the finish: each chunk's alpha is computed first, then the chunk takes
// one of three vectorised loops. Keyed frames are mostly backdrop (alpha 0) and solid subject
// (alpha 1), where the foreground solve is moot; only chunks with a soft pixel pay for it.
constexpr int kChunk = 128;

template <int P, bool Refine>
KEYSWAP_ROW_KERNEL void finish_kernel(std::uint8_t* __restrict rgba, float* __restrict alpha, const FinishRow& f, int n) {
    const float s = f.despill.strength, bal = f.despill.balance, restore = f.despill.luma_restore * k709[P];
    const TemporalParams tp = f.temporal;
    const float* __restrict ar0 = f.coef_lo[0];
    const float* __restrict ag0 = f.coef_lo[1];
    const float* __restrict ab0 = f.coef_lo[2];
    const float* __restrict bb0 = f.coef_lo[3];
    const float* __restrict ar1 = f.coef_hi[0];
    const float* __restrict ag1 = f.coef_hi[1];
    const float* __restrict ab1 = f.coef_hi[2];
    const float* __restrict bb1 = f.coef_hi[3];
    const float ct = f.coef_t;
    const float* __restrict sr0 = f.screen_lo[0];
    const float* __restrict sg0 = f.screen_lo[1];
    const float* __restrict sb0 = f.screen_lo[2];
    const float* __restrict sr1 = f.screen_hi[0];
    const float* __restrict sg1 = f.screen_hi[1];
    const float* __restrict sb1 = f.screen_hi[2];
    const float st = f.screen_t;
    const bool prior = f.prior_lo[0] && f.prior_rho > 0.f;
    const float rho = f.prior_rho;
    const float* __restrict pr0 = f.prior_lo[0];
    const float* __restrict pg0 = f.prior_lo[1];
    const float* __restrict pb0 = f.prior_lo[2];
    const float* __restrict pk0 = f.prior_lo[3];
    const float* __restrict pr1 = f.prior_hi[0];
    const float* __restrict pg1 = f.prior_hi[1];
    const float* __restrict pb1 = f.prior_hi[2];
    const float* __restrict pk1 = f.prior_hi[3];
    std::uint16_t* __restrict prev = f.prev;
    for (int x0 = 0; x0 < n; x0 += kChunk) {
        const int x1 = std::min(n, x0 + kChunk);
        // Alpha (refined or given), temporal smoothing; `prev` holds it in 1/65535 steps, whose
        // OR and AND tell whether the chunk is all transparent or all opaque.
        std::uint32_t any = 0, all = 65535;
        for (int x = x0; x < x1; ++x) {
            float a;
            if constexpr (Refine) {
                std::uint32_t in;
                std::memcpy(&in, rgba + 4 * x, 4);
                a = guided_alpha(ar0[x] + ct * (ar1[x] - ar0[x]), ag0[x] + ct * (ag1[x] - ag0[x]),
                                 ab0[x] + ct * (ab1[x] - ab0[x]), bb0[x] + ct * (bb1[x] - bb0[x]), float(in & 255u),
                                 float((in >> 8) & 255u), float((in >> 16) & 255u));
            } else {
                a = alpha[x];
            }
            alpha[x] = temporal_pixel(a, prev + x, tp);
            any |= prev[x];
            all &= prev[x];
        }
        if (any == 0) {
            // alpha < 1/131070 everywhere: foreground_pixel gives black with A = 0.
            std::memset(rgba + 4 * x0, 0, 4 * std::size_t(x1 - x0));
        } else if (all == 65535) {
            // alpha > 1 - 1/131070 everywhere: the solve changes colours by < 0.002 levels, so
            // F = I; despill only. (Pixels are one 32-bit word: byte loads next to a word store
            // on the same row keep GCC from vectorising an in-place loop.)
            for (int x = x0; x < x1; ++x) {
                std::uint32_t in;
                std::memcpy(&in, rgba + 4 * x, 4);
                float c[3] = {float(in & 255u), float((in >> 8) & 255u), float((in >> 16) & 255u)};
                const std::uint32_t px = despill_pack<P>(c, s, bal, restore) | 0xFF000000u;
                std::memcpy(rgba + 4 * x, &px, 4);
            }
        } else if (prior) {
            for (int x = x0; x < x1; ++x) {
                std::uint32_t in;
                std::memcpy(&in, rgba + 4 * x, 4);
                const float pk[3] = {pr0[x] + st * (pr1[x] - pr0[x]), pg0[x] + st * (pg1[x] - pg0[x]),
                                     pb0[x] + st * (pb1[x] - pb0[x])};
                const std::uint32_t px = foreground_pixel_prior<P>(
                    in, alpha[x], sr0[x] + st * (sr1[x] - sr0[x]), sg0[x] + st * (sg1[x] - sg0[x]),
                    sb0[x] + st * (sb1[x] - sb0[x]), pk, pk0[x] + st * (pk1[x] - pk0[x]), rho, s, bal, restore);
                std::memcpy(rgba + 4 * x, &px, 4);
            }
        } else {
            for (int x = x0; x < x1; ++x) {
                std::uint32_t in;
                std::memcpy(&in, rgba + 4 * x, 4);
                const std::uint32_t px =
                    foreground_pixel<P>(in, alpha[x], sr0[x] + st * (sr1[x] - sr0[x]), sg0[x] + st * (sg1[x] - sg0[x]),
                                        sb0[x] + st * (sb1[x] - sb0[x]), s, bal, restore);
                std::memcpy(rgba + 4 * x, &px, 4);
            }
        }
    }
}

}  // namespace

void foreground_row(std::uint8_t* rgba, const float* alpha, const float* sr, const float* sg, const float* sb,
                    int primary, const DespillParams& d, int n) {
    switch (primary) {
        case 0: foreground_kernel<0>(rgba, alpha, sr, sg, sb, d, n); break;
        case 2: foreground_kernel<2>(rgba, alpha, sr, sg, sb, d, n); break;
        default: foreground_kernel<1>(rgba, alpha, sr, sg, sb, d, n); break;
    }
}

void finish_row(std::uint8_t* rgba, float* alpha, const FinishRow& f, int n) {
    const int p = f.primary == 0 || f.primary == 2 ? f.primary : 1;
    if (f.refine) {
        if (p == 0) finish_kernel<0, true>(rgba, alpha, f, n);
        else if (p == 2) finish_kernel<2, true>(rgba, alpha, f, n);
        else finish_kernel<1, true>(rgba, alpha, f, n);
    } else {
        if (p == 0) finish_kernel<0, false>(rgba, alpha, f, n);
        else if (p == 2) finish_kernel<2, false>(rgba, alpha, f, n);
        else finish_kernel<1, false>(rgba, alpha, f, n);
    }
}

}  // namespace keyswap::matte
