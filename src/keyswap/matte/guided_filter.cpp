#include "keyswap/matte/guided_filter.hpp"

#include <algorithm>
#include <cmath>

#include "keyswap/matte/row_kernels.hpp"

namespace keyswap::matte {

void FastGuidedFilter::configure(int width, int height, int radius, float eps) {
    // Subsample so the low-resolution radius is ~2: enough to fit the linear model, and the
    // statistics cost 1/s^2 of full resolution.
    const int s = std::clamp(radius / 2, 1, 8);
    eps_ = eps;
    if (width == w_ && height == h_ && s == s_ && !stats_.empty()) {
        r_lo_ = std::max(1, int(std::lround(double(radius) / s)));
        box_.configure(lw_, lh_, r_lo_, kStats);
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
    means_.assign(area * kStats, 0.f);
    coef_.assign(area * 4, 0.f);
    coef_mean_.assign(area * 4, 0.f);
    inv_count_x_.resize(lw_);
    for (int i = 0; i < lw_; ++i) inv_count_x_[i] = 1.f / float(std::min(width, (i + 1) * s) - i * s);
    box_.configure(lw_, lh_, r_lo_, kStats);
}

void FastGuidedFilter::accumulate_row(int y, const float* r, const float* g, const float* b, const float* p) {
    const int j = y / s_;
    const std::size_t off = std::size_t(j) * lw_;
    const float* src[4] = {r, g, b, p};
    const int full = w_ / s_;
    for (int k = 0; k < 4; ++k) {
        float* __restrict dst = plane(stats_, k) + off;
        const float* __restrict in = src[k];
        if (y % s_ == 0) std::fill(dst, dst + lw_, 0.f);
        for (int i = 0; i < full; ++i) {
            float sum = 0.f;
            for (int q = 0; q < s_; ++q) sum += in[i * s_ + q];
            dst[i] += sum;
        }
        for (int x = full * s_; x < w_; ++x) dst[full] += in[x];
    }
}

void FastGuidedFilter::solve(ThreadPool& pool) {
    const int lw = lw_, lh = lh_;
    float* st[kStats];
    float* mn[kStats];
    for (int k = 0; k < kStats; ++k) st[k] = plane(stats_, k), mn[k] = plane(means_, k);

    // Block sums -> block means (guide scaled to [0,1]), then the products the model needs.
    pool.parallel_rows(lh, [&](int j0, int j1) {
        for (int j = j0; j < j1; ++j) {
            const float rows = float(std::min(h_, (j + 1) * s_) - j * s_);
            const std::size_t o = std::size_t(j) * lw;
            for (int i = 0; i < lw; ++i) {
                const float inv = inv_count_x_[i] / rows, ig = inv * (1.f / 255.f);
                const float r = st[R][o + i] * ig, g = st[G][o + i] * ig, b = st[B][o + i] * ig, p = st[P][o + i] * inv;
                st[R][o + i] = r, st[G][o + i] = g, st[B][o + i] = b, st[P][o + i] = p;
                st[RR][o + i] = r * r, st[RG][o + i] = r * g, st[RB][o + i] = r * b;
                st[GG][o + i] = g * g, st[GB][o + i] = g * b, st[BB][o + i] = b * b;
                st[RP][o + i] = r * p, st[GP][o + i] = g * p, st[BP][o + i] = b * p;
            }
        }
    }, 8);
    box_.run(st, mn, kStats, pool);

    // Per low-resolution pixel: A = (Cov(I) + eps*Id)^-1 Cov(I,p), b = mean(p) - A.mean(I).
    float* co[4] = {coef_.data(), coef_.data() + std::size_t(lw) * lh, coef_.data() + 2 * std::size_t(lw) * lh,
                    coef_.data() + 3 * std::size_t(lw) * lh};
    const float eps = eps_;
    pool.parallel_rows(lh, [&](int j0, int j1) {
        const std::size_t o0 = std::size_t(j0) * lw, o1 = std::size_t(j1) * lw;
        for (std::size_t o = o0; o < o1; ++o) {
            const float mr = mn[R][o], mg = mn[G][o], mb = mn[B][o], mp = mn[P][o];
            const float a = mn[RR][o] - mr * mr + eps, b = mn[RG][o] - mr * mg, c = mn[RB][o] - mr * mb;
            const float d = mn[GG][o] - mg * mg + eps, e = mn[GB][o] - mg * mb, f = mn[BB][o] - mb * mb + eps;
            const float cr = mn[RP][o] - mr * mp, cg = mn[GP][o] - mg * mp, cb = mn[BP][o] - mb * mp;
            const float i00 = d * f - e * e, i01 = c * e - b * f, i02 = b * e - c * d;
            const float i11 = a * f - c * c, i12 = b * c - a * e, i22 = a * d - b * b;
            const float inv_det = 1.f / (a * i00 + b * i01 + c * i02);
            const float ar = (i00 * cr + i01 * cg + i02 * cb) * inv_det;
            const float ag = (i01 * cr + i11 * cg + i12 * cb) * inv_det;
            const float ab = (i02 * cr + i12 * cg + i22 * cb) * inv_det;
            co[0][o] = ar, co[1][o] = ag, co[2][o] = ab;
            co[3][o] = mp - ar * mr - ag * mg - ab * mb;
        }
    }, 8);
    float* cm[4];
    for (int k = 0; k < 4; ++k) cm[k] = coef_mean_.data() + std::size_t(k) * lw * lh;
    box_.run(co, cm, 4, pool);
    // Fold the guide's 1/255 into A so refine_row works on 0..255 rows directly.
    pool.parallel_rows(lh, [&](int j0, int j1) {
        for (int k = 0; k < 3; ++k)
            for (std::size_t o = std::size_t(j0) * lw; o < std::size_t(j1) * lw; ++o) cm[k][o] *= 1.f / 255.f;
    }, 8);
}

void FastGuidedFilter::refine_row(int y, const float* r, const float* g, const float* b, float* alpha,
                                  float* scratch) const {
    const float v = (float(y) + 0.5f) / float(s_) - 0.5f;
    const int j0 = std::clamp(int(std::floor(v)), 0, lh_ - 1), j1 = std::min(lh_ - 1, j0 + 1);
    const float ty = std::clamp(v - float(j0), 0.f, 1.f);
    float* lo = scratch;
    float* full = scratch + 4 * lw_;
    const std::size_t area = std::size_t(lw_) * lh_;
    for (int k = 0; k < 4; ++k) {
        const float* __restrict p0 = coef_mean_.data() + k * area + std::size_t(j0) * lw_;
        const float* __restrict p1 = coef_mean_.data() + k * area + std::size_t(j1) * lw_;
        float* __restrict l = lo + k * lw_;
        for (int i = 0; i < lw_; ++i) l[i] = p0[i] + ty * (p1[i] - p0[i]);
        expand_linear(l, lw_, s_, w_, full + std::size_t(k) * w_);
    }
    const float* __restrict ar = full;
    const float* __restrict ag = full + w_;
    const float* __restrict ab = full + 2 * std::size_t(w_);
    const float* __restrict bb = full + 3 * std::size_t(w_);
    // The regularised linear model leaves ~0.5% residue next to edges in flat areas; snapping
    // the outer 1% to 0 and 1 keeps solid regions solid and the backdrop clean (no faint halo).
    constexpr float snap = 0.01f, gain = 1.f / 0.98f;
    for (int x = 0; x < w_; ++x)
        alpha[x] = std::clamp((ar[x] * r[x] + ag[x] * g[x] + ab[x] * b[x] + bb[x] - snap) * gain, 0.f, 1.f);
}

}  // namespace keyswap::matte
