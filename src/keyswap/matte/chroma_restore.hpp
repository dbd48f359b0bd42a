#pragma once
// Chroma detail that a subsampled source lost, rebuilt from its full-resolution luma before
// keying.
//
// What this represents: 4:2:0 video keeps one chroma sample per 2x2 block (4:2:2 one per 2x1),
// so a hair strand or a blurred edge a pixel or two wide keeps its luma but loses most of its
// colour difference, which is all a chroma key reads. Within a few pixels a mixture of two
// colours (subject and screen) has chroma linear in luma, so the slope of chroma on luma is
// fitted on chroma's own grid (block means of luma against the block's chroma, over windows of
// 2x2 blocks, each block taking the mean slope of the four windows it lies in: a guided filter
// whose regressor has chroma's resolution, so the slope is not flattened by detail the chroma
// never saw). Each pixel then gets slope x (its luma - its block's mean luma) added to its
// decoded chroma: zero-mean over the block, so the sample the source sent is kept, and a slope
// of 0 (flat or equal-luma windows) leaves the pixel as decoded. Windows whose chroma is flat
// are skipped, which skips most of a keyed frame.
// Only for frames whose chroma really was subsampled: on full chroma it would blur real detail.
// Thread safety: not thread safe (owns its buffers); `apply` parallelises over the pool.
#include <cstdint>
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/core/thread_pool.hpp"

namespace keyswap::matte {

class ChromaRestorer {
public:
    // Rebuilds the chroma of `rgba` (RGBA8; alpha untouched) in place, in the YCbCr of
    // sampling.kr/kb. Nothing happens unless `sampling` is subsampled, by 1 or 2 along each
    // axis, and the frame spans at least two blocks each way.
    // ensures: allocates only when the frame size or sampling changes.
    void apply(ImageU8& rgba, const ChromaSampling& sampling, ThreadPool& pool);

    // Fraction of the last apply's tiles (per block row) rebuilt; the rest were flat.
    double active_share() const { return active_share_; }

private:
    // One pool task's working rows for a band of block rows.
    struct Band {
        std::vector<std::uint8_t> hot;         // one window row: chroma varies in the window
        std::vector<std::uint8_t> busy;        // per window row and tile: a varying window
        std::vector<std::uint8_t> block_busy;  // per block row and tile: rebuilt
        std::vector<float> coef;               // slopes of B-Y and R-Y on luma, the band's windows
        std::vector<float> block_coef;         // the same per block (mean of its four windows), one row
        std::vector<float> ring;               // block means of the last four block rows
    };
    // Block means of block row j into out: Y, B-Y, R-Y, gw each.
    void measure_blocks(const ImageU8& rgba, int j, float* out) const;
    int restore_band(ImageU8& rgba, int j0, int j1, Band& band);

    int w_ = 0, h_ = 0, bw_ = 1, bh_ = 1;
    int gw_ = 0, gh_ = 0;  // block grid
    int ww_ = 0, wh_ = 0;  // window grid (windows of 2x2 blocks): gw-1 x gh-1
    int tiles_ = 0;        // tiles of kTileWindows blocks (and windows) per row
    int stride_ = 0;       // flag bytes per row: tiles rounded up to whole 8-byte words
    float kr_ = 0, kg_ = 0, kb_ = 0;
    std::vector<float> edges_;   // block means of the rows either side of each band boundary
    std::vector<int> edge_rows_;  // their block rows
    std::vector<Band> tasks_;   // per band (one per thread)
    double active_share_ = 0;
};

}  // namespace keyswap::matte
