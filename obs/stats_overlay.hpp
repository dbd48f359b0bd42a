#pragma once
// The filter's stats drawn on its picture (the "Show stats on the picture" property), for a
// streamer who wants to see in the preview whether the pass keeps up: results per second,
// the pass's time, submit-to-result latency and frames dropped, as one line of white text on
// an opaque black band across the top left, so it reads over a transparent backdrop too.
// Thread safety: a pure function on the caller's image.
#include "keyswap/core/image.hpp"

namespace keyswap::obs {

struct OverlayStats {
    double fps = 0.0, pass_ms = 0.0, latency_ms = 0.0;
    unsigned long long dropped = 0;
};

// Draws `s` into the top-left corner of straight RGBA `rgba` (text sized to the picture).
void draw_stats(ImageU8& rgba, const OverlayStats& s);

}  // namespace keyswap::obs
