#pragma once
// Speed-adaptive smoothing of landmarks (the One Euro filter, Casiez et al., CHI 2012).
//
// What this represents: a low-pass filter whose cutoff rises with speed: slow or still points
// are smoothed hard (no jitter), fast ones lightly (little lag). `LandmarkSmoother` runs one per
// landmark, with speeds measured in inter-ocular distances per second, so the same settings
// suit a small or a large face. `reset()` forgets history (after a cut or a jump).
// Thread safety: not thread safe; one per tracked face.
#include "keyswap/face/geometry.hpp"

namespace keyswap::face {

struct OneEuroSettings {
    double min_cutoff = 1.0;  // Hz at rest; lower = steadier, more lag when starting to move
    double beta = 1.0;        // cutoff increase per (inter-ocular distance / s) of speed
    double d_cutoff = 1.0;    // Hz for the speed estimate itself
};

class LandmarkSmoother {
public:
    explicit LandmarkSmoother(const OneEuroSettings& s = {}) : s_(s) {}
    // Requires: dt > 0 (seconds since the previous call), scale > 0 (inter-ocular distance).
    // Ensures: returns the raw points on the first call after construction or reset().
    Landmarks filter(const Landmarks& raw, double dt, float scale);
    void reset() { primed_ = false; }

private:
    OneEuroSettings s_;
    bool primed_ = false;
    Landmarks x_{};                  // last filtered position (px)
    std::array<cv::Point2f, kLandmarks> dx_{};  // last filtered velocity (px/s)
};

}  // namespace keyswap::face
