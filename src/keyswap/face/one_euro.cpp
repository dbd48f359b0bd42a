#include "keyswap/face/one_euro.hpp"

#include <cmath>
#include <numbers>

namespace keyswap::face {

namespace {
// Exponential smoothing factor for a first-order low-pass at `cutoff` Hz sampled every dt s.
float alpha(double cutoff, double dt) {
    const double tau = 1.0 / (2.0 * std::numbers::pi * cutoff);
    return static_cast<float>(1.0 / (1.0 + tau / dt));
}
}  // namespace

Landmarks LandmarkSmoother::filter(const Landmarks& raw, double dt, float scale) {
    if (!primed_) {
        x_ = raw;
        dx_.fill({0, 0});
        primed_ = true;
        return raw;
    }
    const float a_d = alpha(s_.d_cutoff, dt);
    const float inv_dt = static_cast<float>(1.0 / dt);
    for (int i = 0; i < kLandmarks; ++i) {
        const cv::Point2f v = (raw[i] - x_[i]) * inv_dt;
        dx_[i] = dx_[i] + a_d * (v - dx_[i]);
        const double speed = std::hypot(dx_[i].x, dx_[i].y) / scale;
        const float a = alpha(s_.min_cutoff + s_.beta * speed, dt);
        x_[i] = x_[i] + a * (raw[i] - x_[i]);
    }
    return x_;
}

}  // namespace keyswap::face
