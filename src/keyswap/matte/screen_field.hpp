#pragma once
// The local screen colour across the frame, for unevenly lit backdrops.
//
// What this represents: a smooth low-resolution grid (cells of ~1/40 of the frame) of backdrop
// colour samples. Each cell averages the purest screen pixels it contains; cells covered by the
// subject are filled from their neighbours and the grid is smoothed, so every pixel is keyed
// against the screen colour that would be behind it (shadows and hot spots key cleanly).
// Thread safety: `estimate` is not thread safe; after it, `expand_row` may be called from many
// threads at once (it only reads the grid).
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/matte/screen_colour.hpp"

namespace keyswap::matte {

class ScreenField {
public:
    // Samples `rgba` (RGBA8) for pixels that look like `key`. Cells with too few samples are
    // filled from neighbours; with none at all the field is `key` everywhere.
    // ensures: grid sized for the frame; allocates only when the frame size changes.
    void estimate(ImageView<const std::uint8_t> rgba, const ScreenColour& key, ThreadPool& pool);
    // Whether estimate() measures the raw-alpha scale of nearby solid foreground (channel 4 of
    // rows(); 1 everywhere when off). On by default.
    void set_foreground_prior(bool on) { foreground_prior_ = on; }
    // A constant field (tests, or explicit colours on frames without backdrop).
    void set_uniform(int width, int height, const ScreenColour& key);

    // Writes the bilinearly interpolated screen colour of image row y into r,g,b[0..width).
    // requires: 0 <= y < height of the last estimate.
    void expand_row(int y, float* r, float* g, float* b) const;

    // Writes the interpolated 1 / D(S), the local screen's colour difference (floored at 4
    // levels: a dark or unsaturated screen would divide by ~0), for image row y. The field
    // holds the reciprocal so the per-pixel kernels multiply instead of divide.
    void expand_inverse_difference_row(int y, float* inv_ds) const;
    // Writes the interpolated raw-alpha scale of nearby solid foreground for image row y.
    void expand_white_row(int y, float* ws) const;
    // Whether the field carries the colour of nearby solid foreground (channels kPrior.., see
    // update_white; k = 0 everywhere when off). On with the foreground prior.
    bool has_colour_prior() const { return foreground_prior_; }

    // The field at image row y without expanding it: the two grid rows around y, already
    // interpolated to full width, and the weight of the second. Channel c (0..2 = r,g,b, 3 = 1/D)
    // of row y is lo[c*width + x] + t * (hi[c*width + x] - lo[c*width + x]), so row kernels
    // (channel 4 = the raw-alpha scale of nearby solid foreground, see update_white)
    // can do the vertical step in registers. The pointers stay valid until the next estimate.
    struct Rows {
        const float* lo;
        const float* hi;
        float t;
    };
    Rows rows(int y) const;

    // Fraction of cells that held real backdrop samples (the rest were filled).
    float measured_fraction() const { return measured_fraction_; }

    static constexpr int kMaxCells = 256;
    // Channels of rows(): r, g, b (0..2), 1/D(S), the raw-alpha scale of nearby solid
    // foreground, and that foreground's colour as k*r, k*g, k*b, k (kPrior..kPrior+3), where k
    // in 0..1 is how much it can be trusted: 1 next to solid foreground of one colour, less where
    // the solid pixels' colours spread, fading to 0 a few cells away.
    static constexpr int kInverseDifference = 3, kScale = 4, kPrior = 5, kChannels = 9;
    // Colour spread (RMS over the channels, levels) at which a cell's foreground colour counts half.
    static constexpr float kPriorSpread = 24.f;
    // A cell lends its foreground when at least 1/kForegroundShare of its samples are solid,
    // to holes up to kForegroundRings cells away.
    static constexpr int kForegroundShare = 8;
    static constexpr int kForegroundRings = 2;
    // Samples per cell (a step of cell/8, at least 1): at most 15x15 (cells under 16 pixels).
    static constexpr int kMaxSamples = 256;

private:
    void resize(int width, int height);
    void fill_holes(std::vector<float>& grid, int channels, std::vector<int>& known, int max_rings);
    void smooth(std::vector<float>& grid, int channels);
    void update_difference(const ScreenColour& key);
    void update_white();
    void expand_channel_row(int y, int c, float* out) const;
    void build_wide();

    int width_ = 0, height_ = 0, cell_ = 8, gw_ = 0, gh_ = 0;
    float inv_cell_ = 1.f / 8.f;
    std::vector<float> grid_;   // gw*gh*3 interleaved, 0..255
    std::vector<float> dgrid_;  // gw*gh: D(grid) under the key's weights
    std::vector<float> tmp_;    // same shape, for smoothing and filling
    std::vector<float> fg_d_;   // gw*gh: mean D of the cell's solid foreground samples
    std::vector<int> fg_known_; // gw*gh: the cell holds enough solid foreground
    std::vector<int> fg_grow_;  // gw*gh: fg_known_ as update_white grows it (kept: no allocation per frame)
    std::vector<float> white_;  // gw*gh: raw-alpha scale from nearby foreground (1 = none)
    std::vector<float> fg_rgb_; // gw*gh*3: mean colour of the cell's solid foreground samples
    std::vector<float> fg_var_; // gw*gh: their colour variance (sum over channels)
    std::vector<float> prior_;  // gw*gh*4: k*r, k*g, k*b, k (see kPrior)
    std::vector<float> wide_;   // per grid row: the kChannels channels expanded to the frame width
    std::vector<int> count_;    // per cell sample count (0 = hole)
    std::vector<int> next_;     // fill_holes' next generation of known cells
    float measured_fraction_ = 0.f;
    bool foreground_prior_ = true;
};

}  // namespace keyswap::matte
