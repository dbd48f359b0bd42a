#pragma once
// Matte refinement guided by the full-resolution colour image (fast guided filter, He & Sun 2015).
//
// Why: a matte computed from camera chroma (4:2:0) is blocky at 2x2 and noisy. The guided filter
// models alpha locally as a linear function of RGB, q = A.I + b, fitted over a window; edges and
// strands that exist in the full-resolution luma/RGB come back, flat areas stay flat, and there
// is no halo because the model cannot invent structure absent from the image.
// Speed: the statistics are computed on a copy reduced by `scale` (box means via BoxMean, its
// row-local steps fused into the per-block and per-row work, so solve is one parallel pass), and
// only the four coefficient planes are interpolated back: along x once per low-resolution row
// and task (RowCache), along y in the per-pixel kernel that uses them.
//
// What this represents: a filter configured for one frame size, holding its low-resolution
// planes. Protocol per frame: accumulate_row for every image row -> solve -> refine_row per row.
// Thread safety: accumulate_row may run concurrently for rows of distinct blocks of `scale()`
// rows (one block = one low-resolution row); solve is single-caller; coefficient_rows and
// refine_row are concurrent, each task with its own RowCache.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "keyswap/core/thread_pool.hpp"
#include "keyswap/matte/box_filter.hpp"

namespace keyswap::matte {

// q = A.I + b for a 0..255 guide (A already scaled by 1/255), then the outer 1% snapped to 0
// and 1: the regularised linear model leaves ~0.5% residue next to edges in flat areas, and
// snapping keeps solid regions solid and the backdrop clean (no faint halo).
inline float guided_alpha(float ar, float ag, float ab, float b0, float r, float g, float b) {
    constexpr float snap = 0.01f, gain = 1.f / 0.98f;
    return std::min(std::max((ar * r + ag * g + ab * b + b0 - snap) * gain, 0.f), 1.f);
}

class FastGuidedFilter {
public:
    // radius in full-resolution pixels (>= 1); eps is the regularisation for a [0,1] guide.
    // Allocates only when the shape changes.
    void configure(int width, int height, int radius, float eps);
    int scale() const { return s_; }
    int low_height() const { return lh_; }
    // Floats of per-task scratch accumulate_row needs.
    int scratch_floats() const { return 4 * w_; }

    // Adds image row y (RGBA8 guide; p = alpha 0..1) to its low-resolution block. The rows of a
    // block must be added in order by one task, passing the same `rowsum` scratch each time.
    void accumulate_row(int y, const std::uint8_t* rgba, const float* p, float* rowsum);
    // The same in parts, for callers that sum rows themselves: rowsum holds 4 planes of width
    // floats (column sums of r, g, b in 0..255 and p over the block's rows so far); zero it when
    // starts_block(y), add row y, and call store_block(y, rowsum) when ends_block(y).
    bool starts_block(int y) const { return y % s_ == 0; }
    bool ends_block(int y) const { return y % s_ == s_ - 1 || y == h_ - 1; }
    void store_block(int y, const float* rowsum);
    void solve(ThreadPool& pool);


    // Local black point, applied by solve() to the fitted model: the output becomes
    // (q - black) / (1 - black) in windows next to a "clear" block (one low-resolution cell
    // whose mean input p is at most `clear`; the point fades out over `fade` above it) and is
    // left as fitted elsewhere. Why: a global clip-black point drops backdrop noise to 0, but
    // also wipes out a uniformly faint region (a 20% veil or pane) that has no backdrop inside
    // it; the backdrop around it and next to any edge still gets the full black point.
    // black 0 = off (the default).
    void set_local_black(float black, float clear, float fade) {
        black_ = std::clamp(black, 0.f, 0.99f), clear_ = clear, fade_ = std::max(fade, 1e-3f);
    }

    // One task's cache of full-width coefficient rows (each low-resolution row is stretched
    // once per task, as the task's image rows reach it). `buf` holds row_cache_floats() floats;
    // start every task (and every frame) with a fresh RowCache.
    struct RowCache {
        float* buf;
        int tag[2] = {-1, -1};
    };
    int row_cache_floats() const { return 8 * w_ + lw_; }
    // A_r, A_g, A_b (scaled for a 0..255 guide) and b at image row y: plane k of row y is
    // lo[k][x] + t * (hi[k][x] - lo[k][x]). Valid until the cache is next used.
    struct CoefRows {
        const float* lo[4];
        const float* hi[4];
        float t;
    };
    CoefRows coefficient_rows(int y, RowCache& cache) const;
    // alpha[x] = A(x) . I(x) + b(x), with the outer 1% snapped to 0/1, for image row y.
    void refine_row(int y, const std::uint8_t* rgba, float* alpha, RowCache& cache) const;

private:
    enum Plane { R, G, B, P, RR, RG, RB, GG, GB, BB, RP, GP, BP, kStats };
    float* plane(std::vector<float>& v, int k) { return v.data() + std::size_t(k) * lw_ * lh_; }

    int w_ = 0, h_ = 0, s_ = 1, lw_ = 0, lh_ = 0, r_lo_ = 1;
    float eps_ = 1e-3f;
    float black_ = 0.f, clear_ = 0.05f, fade_ = 0.1f;
    std::vector<float> stats_;   // kStats low-resolution planes: block means and products
    std::vector<float> xsum_;    // their horizontal window sums
    std::vector<float> means_;   // their box means
    std::vector<float> coef_;    // A_r, A_g, A_b, b
    std::vector<float> coef_x_;  // their horizontal window sums
    std::vector<float> inv_count_x_;
    BoxMean box_;
};

}  // namespace keyswap::matte
