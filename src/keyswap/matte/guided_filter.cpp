#include "keyswap/matte/guided_filter.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "keyswap/matte/row_kernels.hpp"

namespace keyswap::matte {

void FastGuidedFilter::configure(int width, int height, int radius, float eps) {
    // Subsample by the radius, so the low-resolution window is 3x3: the coefficients are box
    // filtered again and interpolated, so the effective support is still ~2 radii, and the
    // statistics cost 1/s^2 of full resolution.
    const int s = std::clamp(radius, 1, 8);
    eps_ = eps;
    if (width == w_ && height == h_ && s == s_ && !stats_.empty()) {
        r_lo_ = std::max(1, int(std::lround(double(radius) / s)));
        box_.configure(lw_, lh_, r_lo_);
        return;
    }
    w_ = width;
    h_ = height;
    s_ = s;
    lw_ = (width + s - 1) / s;
    lh_ = (height + s - 1) / s;
    r_lo_ = std::max(1, int(std::lround(double(radius) / s)));
    const std::size_t area = std::size_t(lw_) * lh_;
    stats_.assign(area * kStats, 0.f);
    xsum_.assign(area * kStats, 0.f);
    means_.assign(area * kStats, 0.f);
    coef_.assign(area * 4, 0.f);
    coef_x_.assign(area * 4, 0.f);
    inv_count_x_.resize(lw_);
    for (int i = 0; i < lw_; ++i) inv_count_x_[i] = 1.f / float(std::min(width, (i + 1) * s) - i * s);
    box_.configure(lw_, lh_, r_lo_);
}

namespace {
// acc[k*w + x] += channel k of the row: r, g, b from RGBA8 and p.
KEYSWAP_ROW_KERNEL
void sum_row(const std::uint8_t* __restrict rgba, const float* __restrict p, int w, float* __restrict acc) {
    float* __restrict ar = acc;
    float* __restrict ag = acc + w;
    float* __restrict ab = acc + 2 * std::size_t(w);
    float* __restrict ap = acc + 3 * std::size_t(w);
    for (int x = 0; x < w; ++x) {
        ar[x] += float(rgba[4 * x]);
        ag[x] += float(rgba[4 * x + 1]);
        ab[x] += float(rgba[4 * x + 2]);
        ap[x] += p[x];
    }
}
}  // namespace

void FastGuidedFilter::accumulate_row(int y, const std::uint8_t* rgba, const float* p, float* rowsum) {
    // Rows of a block are summed at full width first (plain vector adds); the horizontal
    // reduction by s runs once per block, on its last row.
    if (starts_block(y)) std::fill(rowsum, rowsum + 4 * std::size_t(w_), 0.f);
    sum_row(rgba, p, w_, rowsum);
    if (ends_block(y)) store_block(y, rowsum);
}

namespace {
// dst[i] = sum of acc over [i*S, min(w, (i+1)*S)).
template <int S>
KEYSWAP_ROW_KERNEL void block_sums_of(const float* __restrict acc, int w, float* __restrict dst) {
    const int full = w / S;
    for (int i = 0; i < full; ++i) {
        float sum = 0.f;
        for (int q = 0; q < S; ++q) sum += acc[i * S + q];
        dst[i] = sum;
    }
    if (full * S < w) {
        float sum = 0.f;
        for (int x = full * S; x < w; ++x) sum += acc[x];
        dst[full] = sum;
    }
}

// The scale is 1..8 (configure clamps it): a constant block width lets the sum vectorise.
void block_sums(const float* acc, int w, int s, float* dst) {
    switch (s) {
        case 1: block_sums_of<1>(acc, w, dst); break;
        case 2: block_sums_of<2>(acc, w, dst); break;
        case 3: block_sums_of<3>(acc, w, dst); break;
        case 4: block_sums_of<4>(acc, w, dst); break;
        case 5: block_sums_of<5>(acc, w, dst); break;
        case 6: block_sums_of<6>(acc, w, dst); break;
        case 7: block_sums_of<7>(acc, w, dst); break;
        default: block_sums_of<8>(acc, w, dst); break;
    }
}
}  // namespace

void FastGuidedFilter::store_block(int y, const float* rowsum) {
    // Block sums -> block means (guide scaled to [0,1]) and the products the model needs, then
    // the box filter's horizontal step: everything row-local is done here, in parallel with
    // the other blocks, so solve() is a single pass.
    const int j = y / s_;
    const std::size_t o = std::size_t(j) * lw_;
    float* st[kStats];
    for (int k = 0; k < kStats; ++k) st[k] = plane(stats_, k) + o;
    for (int k = 0; k < 4; ++k) block_sums(rowsum + std::size_t(k) * w_, w_, s_, st[k]);
    const float rows = float(std::min(h_, (j + 1) * s_) - j * s_);
    for (int i = 0; i < lw_; ++i) {
        const float inv = inv_count_x_[i] / rows, ig = inv * (1.f / 255.f);
        const float r = st[R][i] * ig, g = st[G][i] * ig, b = st[B][i] * ig, p = st[P][i] * inv;
        st[R][i] = r, st[G][i] = g, st[B][i] = b, st[P][i] = p;
        st[RR][i] = r * r, st[RG][i] = r * g, st[RB][i] = r * b;
        st[GG][i] = g * g, st[GB][i] = g * b, st[BB][i] = b * b;
        st[RP][i] = r * p, st[GP][i] = g * p, st[BP][i] = b * p;
    }
    for (int k = 0; k < kStats; ++k) box_.sum_x(st[k], plane(xsum_, k) + o);
}

namespace {
// Per low-resolution pixel o in [o0, o1): A = (Cov(I) + eps*Id)^-1 Cov(I,p) by the symmetric
// 3x3 adjugate, b = mean(p) - A.mean(I). mn holds the 13 box means in Plane order.
KEYSWAP_ROW_KERNEL
void solve_coefficients(float* const* mn, float eps, std::size_t o0, std::size_t o1, float* const* co) {
    const float* __restrict mr_ = mn[0];
    const float* __restrict mg_ = mn[1];
    const float* __restrict mb_ = mn[2];
    const float* __restrict mp_ = mn[3];
    const float* __restrict rr = mn[4];
    const float* __restrict rg = mn[5];
    const float* __restrict rb = mn[6];
    const float* __restrict gg = mn[7];
    const float* __restrict gb = mn[8];
    const float* __restrict bb = mn[9];
    const float* __restrict rp = mn[10];
    const float* __restrict gp = mn[11];
    const float* __restrict bp = mn[12];
    float* __restrict car = co[0];
    float* __restrict cag = co[1];
    float* __restrict cab = co[2];
    float* __restrict cb0 = co[3];
    for (std::size_t o = o0; o < o1; ++o) {
        const float mr = mr_[o], mg = mg_[o], mb = mb_[o], mp = mp_[o];
        const float a = rr[o] - mr * mr + eps, b = rg[o] - mr * mg, c = rb[o] - mr * mb;
        const float d = gg[o] - mg * mg + eps, e = gb[o] - mg * mb, f = bb[o] - mb * mb + eps;
        const float cr = rp[o] - mr * mp, cg = gp[o] - mg * mp, cb = bp[o] - mb * mp;
        const float i00 = d * f - e * e, i01 = c * e - b * f, i02 = b * e - c * d;
        const float i11 = a * f - c * c, i12 = b * c - a * e, i22 = a * d - b * b;
        const float inv_det = 1.f / (a * i00 + b * i01 + c * i02);
        const float ar = (i00 * cr + i01 * cg + i02 * cb) * inv_det;
        const float ag = (i01 * cr + i11 * cg + i12 * cb) * inv_det;
        const float ab = (i02 * cr + i12 * cg + i22 * cb) * inv_det;
        car[o] = ar, cag[o] = ag, cab[o] = ab;
        cb0[o] = mp - ar * mr - ag * mg - ab * mb;
    }
}
}  // namespace

void FastGuidedFilter::solve(ThreadPool& pool) {
    const int lw = lw_;
    const std::size_t area = std::size_t(lw) * lh_;
    float* mn[kStats];
    for (int k = 0; k < kStats; ++k) mn[k] = plane(means_, k);
    float* co[4];
    for (int k = 0; k < 4; ++k) co[k] = coef_.data() + k * area;
    const float eps = eps_;
    const bool local_black = black_ > 0.f;
    const float* block_p = plane(stats_, P);
    // Per low-resolution row: the box means (vertical step), A = (Cov(I) + eps*Id)^-1 Cov(I,p),
    // b = mean(p) - A.mean(I), and the horizontal step of the coefficients' own box mean (its
    // vertical step runs as coefficient_rows stretches a row).
    pool.parallel_rows(lh_, [&](int j0, int j1) {
        std::vector<float> colmin(local_black ? lw : 0);  // per task and frame: lw floats
        for (int j = j0; j < j1; ++j) {
            const std::size_t o = std::size_t(j) * lw;
            for (int k = 0; k < kStats; ++k) box_.mean_y(plane(xsum_, k), std::size_t(lw), j, mn[k] + o);
            solve_coefficients(mn, eps, o, o + lw, co);
            if (local_black) {
                // The least block mean among the 3x3 cells around (separably), then the model
                // becomes g * (A.I + b) - black * g = (g * A).I + g * (b - black).
                std::fill(colmin.begin(), colmin.end(), 1.f);
                for (int jj = std::max(0, j - 1); jj <= std::min(lh_ - 1, j + 1); ++jj) {
                    const float* bp = block_p + std::size_t(jj) * lw;
                    for (int i = 0; i < lw; ++i) colmin[i] = std::min(colmin[i], bp[i]);
                }
                const float inv_fade = 1.f / fade_;
                for (int i = 0; i < lw; ++i) {
                    float m = colmin[i];
                    if (i > 0) m = std::min(m, colmin[i - 1]);
                    if (i + 1 < lw) m = std::min(m, colmin[i + 1]);
                    const float black = black_ * clampf((clear_ - m) * inv_fade + 1.f, 0.f, 1.f);
                    const float g = 1.f / (1.f - black);
                    for (int k = 0; k < 4; ++k) co[k][o + i] *= g;
                    co[3][o + i] -= black * g;
                }
            }
            for (int k = 0; k < 4; ++k) box_.sum_x(co[k] + o, coef_x_.data() + k * area + o);
        }
    }, 8);
}

namespace {
// q = A.I + b with A, b interpolated between two coefficient rows; outer 1% snapped.
KEYSWAP_ROW_KERNEL
void refine_kernel(const float* __restrict ar0, const float* __restrict ar1, const float* __restrict ag0,
                   const float* __restrict ag1, const float* __restrict ab0, const float* __restrict ab1,
                   const float* __restrict b0, const float* __restrict b1, const std::uint8_t* __restrict rgba, float ty,
                   int n, float* __restrict alpha) {
    for (int x = 0; x < n; ++x) {
        const float ar = ar0[x] + ty * (ar1[x] - ar0[x]);
        const float ag = ag0[x] + ty * (ag1[x] - ag0[x]);
        const float ab = ab0[x] + ty * (ab1[x] - ab0[x]);
        const float bb = b0[x] + ty * (b1[x] - b0[x]);
        std::uint32_t px;  // one word per pixel: shifts and masks, not a byte shuffle per channel
        std::memcpy(&px, rgba + 4 * x, 4);
        const float r = float(px & 255u), g = float((px >> 8) & 255u), b = float((px >> 16) & 255u);
        alpha[x] = guided_alpha(ar, ag, ab, bb, r, g, b);
    }
}
}  // namespace

FastGuidedFilter::CoefRows FastGuidedFilter::coefficient_rows(int y, RowCache& cache) const {
    const float v = (float(y) + 0.5f) / float(s_) - 0.5f;
    const int j0 = std::clamp(int(std::floor(v)), 0, lh_ - 1), j1 = std::min(lh_ - 1, j0 + 1);
    const std::size_t area = std::size_t(lw_) * lh_;
    float* tmp = cache.buf + 8 * std::size_t(w_);
    // Slot of low-resolution row j, stretching it into the slot not holding `keep` if absent.
    auto slot = [&](int j, int keep) {
        for (int k = 0; k < 2; ++k)
            if (cache.tag[k] == j) return cache.buf + std::size_t(k) * 4 * w_;
        const int k = cache.tag[0] == keep ? 1 : 0;
        cache.tag[k] = j;
        float* out = cache.buf + std::size_t(k) * 4 * w_;
        for (int c = 0; c < 4; ++c) {
            box_.mean_y(coef_x_.data() + c * area, std::size_t(lw_), j, tmp);
            // The guide's 1/255 is folded into A, so kernels work on 0..255 pixels directly.
            if (c < 3)
                for (int i = 0; i < lw_; ++i) tmp[i] *= 1.f / 255.f;
            expand_linear(tmp, lw_, s_, w_, out + std::size_t(c) * w_);
        }
        return out;
    };
    const float* lo = slot(j0, j1);
    const float* hi = slot(j1, j0);
    CoefRows r;
    for (int c = 0; c < 4; ++c) r.lo[c] = lo + std::size_t(c) * w_, r.hi[c] = hi + std::size_t(c) * w_;
    r.t = clampf(v - float(j0), 0.f, 1.f);
    return r;
}

void FastGuidedFilter::refine_row(int y, const std::uint8_t* rgba, float* alpha, RowCache& cache) const {
    const CoefRows c = coefficient_rows(y, cache);
    refine_kernel(c.lo[0], c.hi[0], c.lo[1], c.hi[1], c.lo[2], c.hi[2], c.lo[3], c.hi[3], rgba, c.t, w_, alpha);
}

}  // namespace keyswap::matte
