#pragma once
// A one-line progress display on a terminal (frames, fps, ETA); silent otherwise.
#include <cstdint>
#include <cstdio>

#include "keyswap/core/timing.hpp"

namespace keyswap::app {

class Progress {
public:
    explicit Progress(bool enabled);
    ~Progress();
    void update(std::int64_t done, std::int64_t total, double fps);
    void finish();

private:
    bool enabled_;
    bool drawn_ = false;
    Stopwatch since_draw_;
};

}  // namespace keyswap::app
