#include "keyswap/matte/chroma_restore.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "keyswap/matte/row_kernels.hpp"

namespace keyswap::matte {
namespace {

// Regularisation of the fit, in levels squared: about the variance camera noise leaves in a
// block's mean luma. Where the luma hardly changes across a window (an edge between two colours
// of equal brightness, skin against some greens) the slope is then pulled towards 0, which keeps
// the decoded chroma instead of fitting noise. Chosen on the keyer benchmark and an equal-luma
// strand test (docs/bench-keyer.md): 1e-6 of full scale (0.065) gains 2 % more on hair and
// amplifies noise at equal-luma edges; 4 and above give back much of the gain.
constexpr float kEps = 1.f;
// A window is rebuilt when the chroma (B-Y or R-Y) of its four blocks spans more than this
// many levels; flatter windows keep the decoder's chroma, which the fit would reproduce to
// within about this much anyway.
constexpr float kFlat = 10.f;
// Windows per tile of the skip map (16 pixels at 4:2:0): one 8-byte word of window flags.
constexpr int kTileWindows = 8;

// One row of blocks: block means of luma and the two colour differences from two pixel rows
// (the same row twice for 1-row blocks or an odd height's last block). The channel sums are
// taken in 16-bit lanes of 32-bit words (R+B and G+A of up to four pixels stay below 1024), so
// the loop runs on whole pixels; an odd width's last block is summed separately.
template <int BW>
KEYSWAP_ROW_KERNEL void block_row(const std::uint8_t* __restrict row0, const std::uint8_t* __restrict row1, int n,
                                  float kr, float kg, float kb, float* __restrict y, float* __restrict u,
                                  float* __restrict v) {
    constexpr std::uint32_t kLow = 0x00FF00FFu;
    const float scale = 1.f / float(2 * BW);
    auto store = [&](int i, std::uint32_t rb, std::uint32_t ga) {
        const float r = float(rb & 0xFFFFu) * scale, b = float(rb >> 16) * scale, g = float(ga & 0xFFFFu) * scale;
        const float l = kr * r + kg * g + kb * b;
        y[i] = l, u[i] = b - l, v[i] = r - l;
    };
    const int full = n / BW;
    for (int i = 0; i < full; ++i) {
        std::uint32_t rb = 0, ga = 0;
        for (int k = 0; k < BW; ++k) {
            std::uint32_t p0, p1;
            std::memcpy(&p0, row0 + 4 * (BW * i + k), 4);
            std::memcpy(&p1, row1 + 4 * (BW * i + k), 4);
            rb += (p0 & kLow) + (p1 & kLow);
            ga += ((p0 >> 8) & kLow) + ((p1 >> 8) & kLow);
        }
        store(i, rb, ga);
    }
    if (full * BW < n) {  // BW = 2, odd width: the last pixel counts twice
        std::uint32_t p0, p1;
        std::memcpy(&p0, row0 + 4 * (n - 1), 4);
        std::memcpy(&p1, row1 + 4 * (n - 1), 4);
        store(full, 2 * ((p0 & kLow) + (p1 & kLow)), 2 * (((p0 >> 8) & kLow) + ((p1 >> 8) & kLow)));
    }
}

// One row of windows: the larger of the two chroma ranges over each window's 2x2 blocks.
KEYSWAP_ROW_KERNEL
void window_spread_row(const float* __restrict u0, const float* __restrict u1, const float* __restrict v0,
                       const float* __restrict v1, int n, float flat, std::uint8_t* __restrict hot) {
    for (int i = 0; i < n; ++i) {
        const float ru = std::max(std::max(u0[i], u0[i + 1]), std::max(u1[i], u1[i + 1])) -
                         std::min(std::min(u0[i], u0[i + 1]), std::min(u1[i], u1[i + 1]));
        const float rv = std::max(std::max(v0[i], v0[i + 1]), std::max(v1[i], v1[i + 1])) -
                         std::min(std::min(v0[i], v0[i + 1]), std::min(v1[i], v1[i + 1]));
        hot[i] = std::uint8_t(std::max(ru, rv) > flat);
    }
}

// Windows [i0, i1) of one row: the least-squares slopes of B-Y and R-Y on luma over each
// window's 2x2 blocks (block rows y0/y1 etc.), centred before squaring so 8-bit-scale values
// lose nothing to cancellation.
KEYSWAP_ROW_KERNEL
void fit_window_row(const float* __restrict y0, const float* __restrict y1, const float* __restrict u0,
                    const float* __restrict u1, const float* __restrict v0, const float* __restrict v1, int i0, int i1,
                    float* __restrict au, float* __restrict av) {
    for (int i = i0; i < i1; ++i) {
        const float ys[4] = {y0[i], y0[i + 1], y1[i], y1[i + 1]};
        const float us[4] = {u0[i], u0[i + 1], u1[i], u1[i + 1]};
        const float vs[4] = {v0[i], v0[i + 1], v1[i], v1[i + 1]};
        const float my = 0.25f * (ys[0] + ys[1] + ys[2] + ys[3]);
        const float mu = 0.25f * (us[0] + us[1] + us[2] + us[3]);
        const float mv = 0.25f * (vs[0] + vs[1] + vs[2] + vs[3]);
        float var = 0, cu = 0, cv = 0;
        for (int k = 0; k < 4; ++k) {
            const float d = ys[k] - my;
            var += d * d, cu += d * (us[k] - mu), cv += d * (vs[k] - mv);
        }
        const float inv = 1.f / (0.25f * var + kEps);
        const float a_u = 0.25f * cu * inv, a_v = 0.25f * cv * inv;
        au[i] = a_u, av[i] = a_v;
    }
}

// Block coefficients [i0, i1) of one block row: the mean of the four windows holding each
// block (window rows wa and wb, the same row at the frame's top and bottom edge; n windows a
// row), as a guided filter averages the lines of every window a pixel is in.
KEYSWAP_ROW_KERNEL
void block_coefficients(const float* __restrict wa, const float* __restrict wb, int n, int i0, int i1,
                        float* __restrict out) {
    auto edge = [&](int i) {
        const int l = std::max(0, i - 1), r = std::min(n - 1, i);
        out[i] = 0.25f * (wa[l] + wa[r] + wb[l] + wb[r]);
    };
    const int lo = std::max(i0, 1), hi = std::min(i1, n);
    if (i0 < lo) edge(i0);
    for (int i = lo; i < hi; ++i) out[i] = 0.25f * (wa[i - 1] + wa[i] + wb[i - 1] + wb[i]);
    for (int i = std::max(hi, i0); i < i1; ++i) edge(i);
}

// Adds to each pixel's own (decoded) chroma the detail its luma predicts: the block's slopes
// times the pixel's luma minus its block's mean luma, which averages to zero over the block, so
// the chroma sample the source sent is kept and a slope of 0 leaves the pixel as decoded. In
// RGB: red and blue move by slope x detail, green keeps the luma. Alpha is kept. The pointers
// start at the span's first block.
template <int BW>
KEYSWAP_ROW_KERNEL void rebuild_span(std::uint8_t* __restrict rgba, int n, const float* __restrict au,
                                     const float* __restrict av, const float* __restrict ybar, float kr, float kg,
                                     float kb) {
    const float inv_kg = 1.f / kg;
    auto pixel = [&](int x, int i) {
        std::uint32_t px;
        std::memcpy(&px, rgba + 4 * x, 4);
        const float r = float(px & 255u), g = float((px >> 8) & 255u), b = float((px >> 16) & 255u);
        const float d = kr * r + kg * g + kb * b - ybar[i];
        const float R = r + av[i] * d, B = b + au[i] * d;
        const float G = g - (kr * (R - r) + kb * (B - b)) * inv_kg;
        const std::uint32_t out = to_level(R) | to_level(G) << 8 | to_level(B) << 16 | (px & 0xFF000000u);
        std::memcpy(rgba + 4 * x, &out, 4);
    };
    const int blocks = n / BW;
    for (int i = 0; i < blocks; ++i)
        for (int q = 0; q < BW; ++q) pixel(BW * i + q, i);
    for (int x = blocks * BW; x < n; ++x) pixel(x, blocks);
}

// Calls fn(t0, t1) for each run of tiles flagged in a or b (rows of whole 8-byte words, zero
// past the last tile), skipping eight clear tiles at a time.
template <class Fn>
void for_each_run(const std::uint8_t* a, const std::uint8_t* b, int tiles, Fn&& fn) {
    for (int t = 0; t < tiles;) {
        if (!(a[t] | b[t])) {
            std::uint64_t wa, wb;
            std::memcpy(&wa, a + (t & ~7), 8);
            std::memcpy(&wb, b + (t & ~7), 8);
            t = (wa | wb) ? t + 1 : (t & ~7) + 8;
            continue;
        }
        int t1 = t + 1;
        while (t1 < tiles && (a[t1] | b[t1])) ++t1;
        fn(t, t1);
        t = t1;
    }
}

}  // namespace

void ChromaRestorer::apply(ImageU8& rgba, const ChromaSampling& s, ThreadPool& pool) {
    active_share_ = 0;
    if (!s.subsampled() || s.block_w < 1 || s.block_w > 2 || s.block_h < 1 || s.block_h > 2) return;
    if (rgba.empty() || rgba.channels() != 4) return;
    const int w = rgba.width(), h = rgba.height();
    const int gw = (w + s.block_w - 1) / s.block_w, gh = (h + s.block_h - 1) / s.block_h;
    if (gw < 2 || gh < 2) return;
    if (w != w_ || h != h_ || s.block_w != bw_ || s.block_h != bh_) {
        w_ = w, h_ = h, bw_ = s.block_w, bh_ = s.block_h;
        gw_ = gw, gh_ = gh, ww_ = gw - 1, wh_ = gh - 1;
        tiles_ = (gw_ + kTileWindows - 1) / kTileWindows;
        stride_ = (tiles_ + 7) & ~7;  // whole words, zero beyond the last tile
    }
    kr_ = s.kr, kb_ = s.kb, kg_ = 1.f - s.kr - s.kb;
    // One band of block rows per thread, each read and rewritten in one streaming pass. A band
    // reads the block row beyond each of its ends as a halo, which its neighbour rewrites: the
    // two rows either side of every boundary are measured first, from the frame as decoded.
    const int parts = std::clamp(gh_ / 8, 1, pool.size());
    if (int(tasks_.size()) < parts) tasks_.resize(std::size_t(parts));
    const std::size_t row = 3 * std::size_t(gw_);
    edges_.resize(2 * std::size_t(std::max(0, parts - 1)) * row);
    edge_rows_.clear();
    for (int k = 1; k < parts; ++k) {
        const int boundary = int(std::int64_t(gh_) * k / parts);
        for (int j : {boundary - 1, boundary}) {
            measure_blocks(rgba, j, edges_.data() + edge_rows_.size() * row);
            edge_rows_.push_back(j);
        }
    }
    std::atomic<int> busy{0};
    pool.parallel_rows(parts, [&](int p0, int p1) {
        for (int p = p0; p < p1; ++p) {
            const int j0 = int(std::int64_t(gh_) * p / parts), j1 = int(std::int64_t(gh_) * (p + 1) / parts);
            busy.fetch_add(restore_band(rgba, j0, j1, tasks_[std::size_t(p)]));
        }
    }, 1);
    active_share_ = double(busy.load()) / (double(tiles_) * gh_);
}

void ChromaRestorer::measure_blocks(const ImageU8& rgba, int j, float* out) const {
    const std::uint8_t* r0 = rgba.row(j * bh_);
    const std::uint8_t* r1 = rgba.row(std::min(h_ - 1, j * bh_ + bh_ - 1));
    if (bw_ == 2) block_row<2>(r0, r1, w_, kr_, kg_, kb_, out, out + gw_, out + 2 * gw_);
    else block_row<1>(r0, r1, w_, kr_, kg_, kb_, out, out + gw_, out + 2 * gw_);
}

// Block rows [j0, j1) in one pass down the band, a row or two behind the reading: block means,
// which windows vary, which tiles of each block row are rebuilt (where a window it lies in
// varies), the slopes of the windows those tiles read, each block's mean slope, and its pixels
// rewritten while they are still in cache. Returns the number of rebuilt tiles.
int ChromaRestorer::restore_band(ImageU8& rgba, int j0, int j1, Band& b) {
    // Block means live in a ring of four rows (the pass needs rows J-1 to J+1 at a time), except
    // the rows at inner band boundaries, measured before any band started.
    const std::size_t row = 3 * std::size_t(gw_);
    b.ring.resize(4 * row);
    auto means = [&](int j) -> const float* {  // Y, then B-Y, then R-Y, gw each
        for (std::size_t k = 0; k < edge_rows_.size(); ++k)
            if (edge_rows_[k] == j) return edges_.data() + k * row;
        return b.ring.data() + std::size_t(j & 3) * row;
    };
    auto measure = [&](int j) { measure_blocks(rgba, j, b.ring.data() + std::size_t(j & 3) * row); };
    // The band's window rows: [w0, w1) holds windows J-1 and J of every block row J.
    const int w0 = std::max(0, j0 - 1), w1 = std::min(wh_, j1), rows = w1 - w0;
    const std::size_t cplane = std::size_t(ww_) * std::max(1, rows);
    b.hot.assign(std::size_t(stride_) * kTileWindows + 16, 0);
    b.busy.assign(std::size_t(stride_) * std::max(1, rows), 0);
    b.block_busy.assign(std::size_t(stride_) * (j1 - j0 + 1), 0);  // + a zero row below the band
    b.coef.resize(2 * cplane);
    b.block_coef.resize(2 * std::size_t(gw_));
    // One zero before and a zero word after the row, so each tile reads its windows (one
    // beyond on each side) as one 8-byte word and two bytes.
    std::uint8_t* hot = b.hot.data() + 1;
    auto window_busy = [&](int j) {  // needs block rows j and j+1
        const float *m0 = means(j), *m1 = means(j + 1);
        window_spread_row(m0 + gw_, m1 + gw_, m0 + 2 * gw_, m1 + 2 * gw_, ww_, kFlat, hot);
        std::uint8_t* busy = b.busy.data() + std::size_t(j - w0) * stride_;
        for (int t = 0; t < tiles_; ++t) {
            std::uint64_t word;
            std::memcpy(&word, hot + t * kTileWindows, 8);
            busy[t] = (word | hot[t * kTileWindows - 1] | hot[t * kTileWindows + kTileWindows]) != 0;
        }
    };
    int count = 0;
    auto block_busy = [&](int j) {  // needs window rows j-1 and j
        const std::uint8_t* above = b.busy.data() + std::size_t(std::max(0, j - 1) - w0) * stride_;
        const std::uint8_t* below = b.busy.data() + std::size_t(std::min(wh_ - 1, j) - w0) * stride_;
        std::uint8_t* out = b.block_busy.data() + std::size_t(j - j0) * stride_;
        for (int t = 0; t < tiles_; ++t) count += out[t] = above[t] | below[t];
    };
    auto fit = [&](int j) {  // window row j serves block rows j and j+1 (those in the band)
        const int ja = std::max(j, j0) - j0, jb = std::min(j + 1, j1) - j0;  // row j1 - j0 is the zero row
        const std::uint8_t* a = b.block_busy.data() + std::size_t(ja) * stride_;
        const std::uint8_t* c = b.block_busy.data() + std::size_t(jb) * stride_;
        const float *m0 = means(j), *m1 = means(j + 1);
        float* co = b.coef.data() + std::size_t(j - w0) * ww_;
        for_each_run(a, c, tiles_, [&](int t0, int t1) {
            const int i0 = std::max(0, t0 * kTileWindows - 1), i1 = std::min(ww_, t1 * kTileWindows);
            fit_window_row(m0, m1, m0 + gw_, m1 + gw_, m0 + 2 * gw_, m1 + 2 * gw_, i0, i1, co, co + cplane);
        });
    };
    float* bc = b.block_coef.data();
    auto rebuild = [&](int j) {  // needs window rows j-1 and j fitted
        const std::uint8_t* busy = b.block_busy.data() + std::size_t(j - j0) * stride_;
        const std::size_t wa = std::size_t(std::max(0, j - 1) - w0) * ww_, wb = std::size_t(std::min(wh_ - 1, j) - w0) * ww_;
        for_each_run(busy, busy, tiles_, [&](int t0, int t1) {
            const int i0 = t0 * kTileWindows, i1 = std::min(gw_, t1 * kTileWindows);
            for (int k = 0; k < 2; ++k) {
                const float* c = b.coef.data() + k * cplane;
                block_coefficients(c + wa, c + wb, ww_, i0, i1, bc + k * std::size_t(gw_));
            }
            const int x0 = i0 * bw_, x1 = std::min(w_, i1 * bw_);
            for (int py = j * bh_; py < std::min(h_, (j + 1) * bh_); ++py) {
                std::uint8_t* px = rgba.row(py) + 4 * std::size_t(x0);
                const float* ci = bc + i0;
                const float* ybar = means(j) + i0;
                if (bw_ == 2) rebuild_span<2>(px, x1 - x0, ci, ci + gw_, ybar, kr_, kg_, kb_);
                else rebuild_span<1>(px, x1 - x0, ci, ci + gw_, ybar, kr_, kg_, kb_);
            }
        });
    };
    // The band's end rows at inner boundaries were measured before any band started.
    const bool first_measured = j0 > 0, last_measured = j1 < gh_;
    if (!first_measured) measure(j0);
    if (j0 > 0) window_busy(j0 - 1);
    for (int j = j0; j < j1; ++j) {
        if (j + 1 < j1 && !(j + 1 == j1 - 1 && last_measured)) measure(j + 1);
        if (j < wh_) window_busy(j);
        block_busy(j);
        if (j == j0 && j0 > 0) fit(j0 - 1);
        if (j > j0) {
            fit(j - 1);
            rebuild(j - 1);
        }
    }
    if (j1 - 1 < wh_) fit(j1 - 1);
    rebuild(j1 - 1);
    return count;
}

}  // namespace keyswap::matte
