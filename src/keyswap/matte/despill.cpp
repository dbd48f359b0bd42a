#include "keyswap/matte/despill.hpp"

#include <algorithm>

#include "keyswap/matte/guided_filter.hpp"
#include "keyswap/matte/row_kernels.hpp"

namespace keyswap::matte {
namespace {

// P = the screen's primary channel; A, B = the other two in RGB order. A template so the
// channel roles cost nothing per pixel. Foreground solve, despill and packing of one pixel:
template <int P>
inline std::uint32_t foreground_pixel(std::uint32_t in, float a, float sr, float sg, float sb, float s, float bal,
                                      float restore) {
    constexpr int A = P == 0 ? 1 : 0, B = P == 2 ? 1 : 2;
    // 1/255 floor: below one 8-bit step the colour cannot be seen and noise would explode.
    // Fully transparent pixels get black rather than amplified backdrop noise: invisible
    // either way in straight alpha, but noise there costs bitrate, bleeds through 4:2:0
    // chroma at the edge, and gives a face detector a cluttered frame to search.
    const float inv = std::min(1.f, std::max(0.f, (a * 255.f - 0.5f) * 1e6f)) / floor_at(a, 1.f / 255.f);
    const float k = 1.f - a;
    float c[3];
    c[0] = clampf((float(in & 255u) - k * sr) * inv, 0.f, 255.f);
    c[1] = clampf((float((in >> 8) & 255u) - k * sg) * inv, 0.f, 255.f);
    c[2] = clampf((float((in >> 16) & 255u) - k * sb) * inv, 0.f, 255.f);
    // Spill is screen light on the subject: the primary may not exceed the balanced mix of
    // the other two. Luminance restore gives the removed light back as grey.
    const float limit = bal * c[A] + (1.f - bal) * c[B];
    const float removed = s * std::max(0.f, c[P] - limit);
    const float back = restore * removed;
    c[P] = c[P] - removed + back;
    c[A] += back;
    c[B] += back;
    auto u8 = [](float v) {
        const int i = int(v + 0.5f);
        return std::uint32_t(i < 0 ? 0 : i > 255 ? 255 : i);
    };
    return u8(c[0]) | u8(c[1]) << 8 | u8(c[2]) << 16 | u8(a * 255.f) << 24;
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
    std::uint16_t* __restrict prev = f.prev;
    for (int x = 0; x < n; ++x) {
        std::uint32_t in;  // one word, as in foreground_kernel
        std::memcpy(&in, rgba + 4 * x, 4);
        float a;
        if constexpr (Refine) {
            a = guided_alpha(ar0[x] + ct * (ar1[x] - ar0[x]), ag0[x] + ct * (ag1[x] - ag0[x]),
                             ab0[x] + ct * (ab1[x] - ab0[x]), bb0[x] + ct * (bb1[x] - bb0[x]), float(in & 255u),
                             float((in >> 8) & 255u), float((in >> 16) & 255u));
        } else {
            a = alpha[x];
        }
        a = temporal_pixel(a, prev + x, tp);
        alpha[x] = a;
        const std::uint32_t px = foreground_pixel<P>(in, a, sr0[x] + st * (sr1[x] - sr0[x]), sg0[x] + st * (sg1[x] - sg0[x]),
                                                     sb0[x] + st * (sb1[x] - sb0[x]), s, bal, restore);
        std::memcpy(rgba + 4 * x, &px, 4);
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
