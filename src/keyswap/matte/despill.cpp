#include "keyswap/matte/despill.hpp"

#include <algorithm>

#include "keyswap/matte/row_kernels.hpp"

namespace keyswap::matte {
namespace {

// P = the screen's primary channel; A, B = the other two in RGB order. A template so the
// channel roles cost nothing per pixel.
template <int P>
KEYSWAP_ROW_KERNEL void foreground_kernel(std::uint8_t* __restrict rgba, const float* __restrict alpha,
                                          const float* __restrict sr, const float* __restrict sg,
                                          const float* __restrict sb, DespillParams d, int n) {
    constexpr int A = P == 0 ? 1 : 0, B = P == 2 ? 1 : 2;
    constexpr float k709[3] = {0.2126f, 0.7152f, 0.0722f};
    const float s = d.strength, bal = d.balance, restore = d.luma_restore * k709[P];
    for (int x = 0; x < n; ++x) {
        const float a = alpha[x];
        // 1/255 floor: below one 8-bit step the colour cannot be seen and noise would explode.
        // Fully transparent pixels get black rather than amplified backdrop noise: invisible
        // either way in straight alpha, but noise there costs bitrate, bleeds through 4:2:0
        // chroma at the edge, and gives a face detector a cluttered frame to search.
        const float inv = std::min(1.f, std::max(0.f, (a * 255.f - 0.5f) * 1e6f)) / floor_at(a, 1.f / 255.f);
        const float k = 1.f - a;
        // The pixel is read and written as one 32-bit word: byte loads and a word store on the
        // same row keep GCC from vectorising the in-place loop.
        std::uint32_t in;
        std::memcpy(&in, rgba + 4 * x, 4);
        float c[3];
        c[0] = clampf((float(in & 255u) - k * sr[x]) * inv, 0.f, 255.f);
        c[1] = clampf((float((in >> 8) & 255u) - k * sg[x]) * inv, 0.f, 255.f);
        c[2] = clampf((float((in >> 16) & 255u) - k * sb[x]) * inv, 0.f, 255.f);
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
        const std::uint32_t px = u8(c[0]) | u8(c[1]) << 8 | u8(c[2]) << 16 | u8(a * 255.f) << 24;
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

}  // namespace keyswap::matte
