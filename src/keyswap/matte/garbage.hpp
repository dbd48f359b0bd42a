#pragma once
// Garbage and core mattes: regions the user forces to background (rigs, stands, the edge of
// the screen) or to foreground (holes in a subject that wears the screen's colour).
//
// What this represents: `RegionMatte` is a set of pixel rectangles plus an optional mask image
// scaled to the frame, applied to matte rows as alpha *= (1 - garbage) or alpha = max(alpha, core).
// Thread safety: `apply_*_row` may run concurrently on distinct rows once `prepare` returned.
#include <string>
#include <vector>

#include "keyswap/core/image.hpp"

namespace keyswap::matte {

struct Rect {
    int x = 0, y = 0, w = 0, h = 0;
};

// Parses "x,y,w,h" (non-negative integers, w,h > 0). Throws Error(Usage) naming `key`.
Rect parse_rect(const std::string& text, const std::string& key);

class RegionMatte {
public:
    void set_rects(std::vector<Rect> rects) { rects_ = std::move(rects); }
    // Any of 1/3/4 channels; the first channel is the mask (255 = fully inside).
    void set_mask(const ImageU8& mask);
    bool active() const { return !rects_.empty() || !source_.empty(); }

    // Scales the mask to the frame size once per size change.
    void prepare(int width, int height);

    // alpha *= 1 - region (garbage) on image row y.
    void apply_garbage_row(int y, float* alpha, int width) const;
    // alpha = max(alpha, region) (core) on image row y.
    void apply_core_row(int y, float* alpha, int width) const;

private:
    void fill_rects_row(int y, float* alpha, int width, float value) const;

    std::vector<Rect> rects_;
    ImageU8 source_;  // as given, single channel
    ImageU8 scaled_;  // frame-sized
};

}  // namespace keyswap::matte
