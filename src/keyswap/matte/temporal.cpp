#include "keyswap/matte/temporal.hpp"

#include <algorithm>

#include "keyswap/matte/row_kernels.hpp"
#include <cmath>

namespace keyswap::matte {

KEYSWAP_ROW_KERNEL
void temporal_row(float* __restrict alpha, std::uint16_t* __restrict prev, const TemporalParams& t, int n) {
    const TemporalParams tp = t;
    for (int x = 0; x < n; ++x) alpha[x] = temporal_pixel(alpha[x], prev + x, tp);
}

}  // namespace keyswap::matte
