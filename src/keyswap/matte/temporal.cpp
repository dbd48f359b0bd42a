#include "keyswap/matte/temporal.hpp"

#include <algorithm>

#include "keyswap/matte/row_kernels.hpp"
#include <cmath>

namespace keyswap::matte {

KEYSWAP_ROW_KERNEL
void temporal_row(float* __restrict alpha, std::uint16_t* __restrict prev, const TemporalParams& t, int n) {
    for (int x = 0; x < n; ++x) {
        const float d = float(prev[x]) * (1.f / 65535.f) - alpha[x];
        const float k = t.strength * std::max(0.f, 1.f - std::fabs(d) * t.inv_threshold);
        const float a = alpha[x] + k * d;
        alpha[x] = a;
        prev[x] = std::uint16_t(int(a * 65535.f + 0.5f));  // a is in [0,1]
    }
}

}  // namespace keyswap::matte
