#pragma once
// Box mean of several float planes at once, for the guided filter's low-resolution statistics.
//
// What this represents: a configured (width, height, radius) mean filter over a (2r+1)^2 window
// clipped at the borders (each output divides by the number of pixels actually inside), with
// its intermediate planes sized once.
// Thread safety: `run` is not reentrant (it owns the intermediate planes); it parallelises
// internally by rows.
#include <vector>

#include "keyswap/core/thread_pool.hpp"

namespace keyswap::matte {

class BoxMean {
public:
    // requires: width, height >= 1, radius >= 0. Allocates only when the shape grows.
    void configure(int width, int height, int radius, int planes);
    // out[k] = box mean of in[k], k < planes; each plane is width*height contiguous floats.
    // requires: out[k] distinct from every in[j].
    void run(const float* const* in, float* const* out, int planes, ThreadPool& pool);

private:
    int w_ = 0, h_ = 0, r_ = 0;
    std::vector<float> tmp_;    // horizontal sums, planes * w * h
    std::vector<float> inv_x_;  // 1 / horizontal window size at x
    std::vector<float> inv_y_;  // 1 / vertical window size at y
};

}  // namespace keyswap::matte
