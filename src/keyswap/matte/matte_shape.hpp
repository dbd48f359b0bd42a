#pragma once
// Shrink/grow and edge softness of a finished matte (both off by default).
//
// Shrink/grow erodes or dilates the matte by whole pixels (a round structuring element, so
// corners do not turn square); softness then blurs it (Gaussian, sigma = softness / 2).
// They are neighbourhood operations, so they run as a separate pass between refinement and the
// per-row finish; OpenCV's SIMD morphology/blur is used here as it is not the default path.
// Thread safety: operates on the caller's matte; OpenCV threads internally.
#include "keyswap/core/image.hpp"

namespace keyswap::matte {

class MatteShape {
public:
    void configure(int shrink_grow, double softness);
    bool active() const { return grow_ != 0 || softness_ > 0.0; }
    // In place on a single-channel float matte.
    void apply(ImageF32& matte);

private:
    int grow_ = 0;
    double softness_ = 0.0;
    ImageF32 tmp_;
};

}  // namespace keyswap::matte
