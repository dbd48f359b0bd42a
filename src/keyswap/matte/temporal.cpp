#include "keyswap/matte/temporal.hpp"

#include <algorithm>
#include <cmath>

namespace keyswap::matte {

void temporal_row(float* __restrict alpha, float* __restrict prev, const TemporalParams& t, int n) {
    for (int x = 0; x < n; ++x) {
        const float d = prev[x] - alpha[x];
        const float k = t.strength * std::max(0.f, 1.f - std::fabs(d) * t.inv_threshold);
        const float a = alpha[x] + k * d;
        alpha[x] = a;
        prev[x] = a;
    }
}

}  // namespace keyswap::matte
