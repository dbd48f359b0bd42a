#include "keyswap/matte/screen_field.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "keyswap/matte/row_kernels.hpp"

namespace keyswap::matte {

void ScreenField::resize(int width, int height) {
    if (width == width_ && height == height_ && !grid_.empty()) return;
    width_ = width;
    height_ = height;
    // ~40 cells across the long side; never more than kMaxCells so a row fits on the stack.
    cell_ = std::max({8, int(std::lround(std::max(width, height) / 40.0)), (std::max(width, height) + kMaxCells - 1) / kMaxCells});
    inv_cell_ = 1.f / float(cell_);
    gw_ = std::max(1, (width + cell_ - 1) / cell_);
    gh_ = std::max(1, (height + cell_ - 1) / cell_);
    grid_.assign(std::size_t(gw_) * gh_ * 3, 0.f);
    tmp_.assign(grid_.size(), 0.f);
    count_.assign(std::size_t(gw_) * gh_, 0);
    fg_d_.assign(count_.size(), 0.f);
    fg_known_.assign(count_.size(), 0);
    fg_grow_.assign(count_.size(), 0);
    white_.assign(count_.size(), 1.f);
    fg_rgb_.assign(count_.size() * 3, 0.f);
    fg_var_.assign(count_.size(), 0.f);
    prior_.assign(count_.size() * 4, 0.f);
    next_.assign(count_.size(), 0);
}

void ScreenField::set_uniform(int width, int height, const ScreenColour& key) {
    resize(width, height);
    for (std::size_t i = 0; i < grid_.size(); i += 3)
        for (int c = 0; c < 3; ++c) grid_[i + c] = key.rgb[c];
    measured_fraction_ = 0.f;
    update_difference(key);
}

void ScreenField::update_difference(const ScreenColour& key) {
    dgrid_.resize(std::size_t(gw_) * gh_);
    for (std::size_t i = 0; i < dgrid_.size(); ++i)
        dgrid_[i] = key.difference(grid_[3 * i], grid_[3 * i + 1], grid_[3 * i + 2]);
    update_white();
    build_wide();
}

void ScreenField::build_wide() {
    // Interpolating along x first and along y per image row is the same bilinear field (both
    // steps are linear); the x step then runs once per grid row instead of once per image row.
    const std::size_t w = std::size_t(width_);
    wide_.resize(std::size_t(gh_) * kChannels * w);
    float coarse[kMaxCells];
    for (int j = 0; j < gh_; ++j) {
        float* out = wide_.data() + std::size_t(j) * kChannels * w;
        for (int c = 0; c < kChannels; ++c) {
            for (int i = 0; i < gw_; ++i) {
                const std::size_t cell = std::size_t(j) * gw_ + i;
                coarse[i] = c < 3                     ? grid_[cell * 3 + c]
                            : c == kInverseDifference ? 1.f / std::max(4.f, dgrid_[cell])
                            : c == kScale             ? white_[cell]
                                                      : prior_[cell * 4 + (c - kPrior)];
            }
            expand_linear(coarse, gw_, cell_, width_, out + c * w);
        }
    }
}

ScreenField::Rows ScreenField::rows(int y) const {
    const float v = (float(y) + 0.5f) * inv_cell_ - 0.5f;
    const int j0 = std::clamp(int(std::floor(v)), 0, gh_ - 1), j1 = std::min(gh_ - 1, j0 + 1);
    const float t = std::clamp(v - float(j0), 0.f, 1.f);
    const std::size_t stride = std::size_t(kChannels) * width_;
    return {wide_.data() + std::size_t(j0) * stride, wide_.data() + std::size_t(j1) * stride, t};
}

void ScreenField::estimate(ImageView<const std::uint8_t> img, const ScreenColour& key, ThreadPool& pool) {
    resize(img.width, img.height);
    const float key_d = std::max(1.f, key.difference(key.rgb[0], key.rgb[1], key.rgb[2]));
    const float km = (key.rgb[0] + key.rgb[1] + key.rgb[2]) / 3.f;
    const float kc[3] = {key.rgb[0] - km, key.rgb[1] - km, key.rgb[2] - km};
    const float kn = std::sqrt(kc[0] * kc[0] + kc[1] * kc[1] + kc[2] * kc[2]) + 1e-6f;
    const int step = std::max(1, cell_ / 8);  // ~64 samples per cell is plenty for a mean

    // A sample is backdrop if its chroma points the key's way (within ~30 degrees), it carries a
    // fair share of the key's colour difference, and it is about as pure as the key relative to
    // its own brightness: shadows and hot spots scale colour and level together and pass, while
    // veils, smoke and hair over the screen add grey, lower the purity and are rejected (else
    // the field would learn them as "screen" and key them out). The purity floor (90% of the
    // key's) rejects a pale veil or glass pane from about 15-20% opacity; at 75% a 20% veil
    // passed as backdrop and keyed out entirely (docs/bench-keyer.md, fabric scene), while
    // sensor noise and 4:2:0 chroma of real backdrop stay well inside it.
    const float key_purity = key_d / std::max(1.f, key.rgb[key.primary]);
    auto is_screen = [&](const std::uint8_t* p, float& d) {
        const float r = p[0], g = p[1], b = p[2];
        const float m = (r + g + b) / 3.f;
        const float c0 = r - m, c1 = g - m, c2 = b - m;
        const float cn = std::sqrt(c0 * c0 + c1 * c1 + c2 * c2) + 1e-6f;
        d = key.difference(r, g, b);
        const float prim = std::max(1.f, float(p[key.primary]));
        return (c0 * kc[0] + c1 * kc[1] + c2 * kc[2]) > 0.87f * cn * kn && d > 0.25f * key_d &&
               d > 0.9f * key_purity * prim;
    };

    pool.parallel_rows(gh_, [&](int j0, int j1) {
        for (int j = j0; j < j1; ++j) {
            const int y0 = j * cell_, y1 = std::min(img.height, y0 + cell_);
            for (int i = 0; i < gw_; ++i) {
                const int x0 = i * cell_, x1 = std::min(img.width, x0 + cell_);
                // Pass 1: mean difference of candidates; pass 2: average only the candidates near
                // the top of that range, which drops edge pixels mixed with the foreground. Pass 1
                // keeps each sample's difference (or a value no floor passes) for pass 2.
                float dsamp[kMaxSamples];
                double dsum = 0, sum[3] = {}, fsum = 0, fc[3] = {}, fsq = 0;
                int n = 0, n2 = 0, samples = 0, nf = 0;
                for (int y = y0 + step / 2; y < y1; y += step) {
                    const std::uint8_t* row = img.row(y);
                    for (int x = x0 + step / 2; x < x1; x += step, ++samples) {
                        float d;
                        const bool screen = is_screen(row + 4 * x, d);
                        dsamp[samples] = screen ? d : -1e30f;
                        if (screen) dsum += d, ++n;
                        // Solid foreground: no screen colour left at all (raw alpha >= 1).
                        if (d <= 0.f) {
                            const std::uint8_t* p = row + 4 * x;
                            fsum += d, ++nf;
                            fc[0] += p[0], fc[1] += p[1], fc[2] += p[2];
                            fsq += double(p[0]) * p[0] + double(p[1]) * p[1] + double(p[2]) * p[2];
                        }
                    }
                }
                const std::size_t cell = std::size_t(j) * gw_ + i;
                fg_known_[cell] = nf * kForegroundShare >= samples && nf > 0;
                fg_d_[cell] = float(fsum / std::max(1, nf));
                const double inv_nf = 1.0 / std::max(1, nf);
                double mean_sq = 0;
                for (int c = 0; c < 3; ++c) {
                    fg_rgb_[cell * 3 + c] = float(fc[c] * inv_nf);
                    mean_sq += (fc[c] * inv_nf) * (fc[c] * inv_nf);
                }
                fg_var_[cell] = float(std::max(0.0, fsq * inv_nf - mean_sq));
                if (n * 4 < samples || n == 0) {
                    count_[cell] = 0;
                    continue;
                }
                const float floor_d = 0.85f * float(dsum / n);
                int k = 0;
                for (int y = y0 + step / 2; y < y1; y += step) {
                    const std::uint8_t* row = img.row(y);
                    for (int x = x0 + step / 2; x < x1; x += step, ++k) {
                        if (dsamp[k] >= floor_d) {
                            sum[0] += row[4 * x], sum[1] += row[4 * x + 1], sum[2] += row[4 * x + 2];
                            ++n2;
                        }
                    }
                }
                count_[cell] = n2;
                for (int c = 0; c < 3; ++c) grid_[cell * 3 + c] = float(sum[c] / std::max(1, n2));
            }
        }
    }, 1);

    int measured = 0;
    for (int c : count_) measured += c > 0;
    measured_fraction_ = float(measured) / float(count_.size());
    if (measured == 0) {
        set_uniform(img.width, img.height, key);
        return;
    }
    fill_holes(grid_, 3, count_, std::numeric_limits<int>::max());
    smooth(grid_, 3);
    update_difference(key);
}

void ScreenField::update_white() {
    // Where solid foreground is near, its raw alpha q = 1 - D(F)/D(S) tells how far the colour
    // difference overstates a soft pixel of that foreground: a pixel a*F + (1-a)*S keys at a*q.
    // Colours with screen colour below neutral (skin, red, blue) have q > 1, so their motion
    // blur and soft edges key too opaque unless scaled by 1/q. Neutral and spilled foregrounds
    // (q <= 1) keep scale 1: the clip-white point already covers them. The scale reaches a few
    // cells beyond the solid cells and fades to 1 with the smoothing; further out (a veil
    // standing apart from the body) nothing is known about the foreground and nothing changes.
    white_.assign(count_.size(), 1.f);
    prior_.assign(count_.size() * 4, 0.f);
    if (!foreground_prior_) return;
    std::vector<int>& known = fg_grow_;  // a working copy: fill_holes grows it
    known = fg_known_;
    for (std::size_t i = 0; i < white_.size(); ++i)
        if (known[i]) white_[i] = 1.f / std::max(1.f, 1.f - fg_d_[i] / std::max(4.f, dgrid_[i]));
    fill_holes(white_, 1, known, kForegroundRings);
    smooth(white_, 1);

    // The same cells lend their solid foreground's colour to the soft pixels around them (the
    // foreground solve's prior, see FinishRow::prior_rho), premultiplied by a trust k that halves
    // at a colour spread of kPriorSpread: a cell holding one colour (hair, a sleeve) is a good
    // guess for the strands and smears beside it, a cell holding face, shirt and jacket is not.
    // Cells the growth does not reach keep k = 0 and the smoothing fades the prior out.
    known = fg_known_;
    constexpr float inv_spread2 = 1.f / (kPriorSpread * kPriorSpread);
    for (std::size_t i = 0; i < fg_known_.size(); ++i) {
        if (!known[i]) continue;
        const float k = 1.f / (1.f + fg_var_[i] / 3.f * inv_spread2);
        for (int c = 0; c < 3; ++c) prior_[i * 4 + c] = k * fg_rgb_[i * 3 + c];
        prior_[i * 4 + 3] = k;
    }
    fill_holes(prior_, 4, known, kForegroundRings);
    smooth(prior_, 4);
}

void ScreenField::fill_holes(std::vector<float>& grid, int channels, std::vector<int>& known, int max_rings) {
    // Grows the measured cells into the holes ring by ring (each hole takes the mean of its
    // known 8-neighbours), so the colour under the subject continues the surrounding backdrop.
    for (int ring = 0; ring < max_rings; ++ring) {
        bool changed = false;
        tmp_.assign(grid.begin(), grid.end());
        next_ = known;
        for (int j = 0; j < gh_; ++j)
            for (int i = 0; i < gw_; ++i) {
                const std::size_t cell = std::size_t(j) * gw_ + i;
                if (known[cell]) continue;
                float s[4] = {};  // channels <= 4 (the screen colour, one plane, or the colour prior)
                int n = 0;
                for (int dj = -1; dj <= 1; ++dj)
                    for (int di = -1; di <= 1; ++di) {
                        const int jj = j + dj, ii = i + di;
                        if (jj < 0 || jj >= gh_ || ii < 0 || ii >= gw_) continue;
                        const std::size_t nb = std::size_t(jj) * gw_ + ii;
                        if (!known[nb]) continue;
                        for (int c = 0; c < channels; ++c) s[c] += grid[nb * channels + c];
                        ++n;
                    }
                if (n == 0) continue;
                for (int c = 0; c < channels; ++c) tmp_[cell * channels + c] = s[c] / float(n);
                next_[cell] = 1;
                changed = true;
            }
        std::copy(tmp_.begin(), tmp_.begin() + std::ptrdiff_t(grid.size()), grid.begin());
        known.swap(next_);
        if (!changed) break;
    }
}

void ScreenField::smooth(std::vector<float>& grid, int channels) {
    // Two passes of a separable [1 2 1]/4 kernel: lighting is smooth, sample noise is not.
    // blur(src, dst, di, dj) filters along the axis where neighbours differ by (di, dj).
    auto blur = [&](const float* src, float* dst, int di, int dj) {
        for (int j = 0; j < gh_; ++j)
            for (int i = 0; i < gw_; ++i) {
                const std::size_t lo = std::size_t(std::max(0, j - dj)) * gw_ + std::max(0, i - di);
                const std::size_t hi = std::size_t(std::min(gh_ - 1, j + dj)) * gw_ + std::min(gw_ - 1, i + di);
                const std::size_t mid = std::size_t(j) * gw_ + i;
                for (int c = 0; c < channels; ++c)
                    dst[mid * channels + c] = 0.25f * src[lo * channels + c] + 0.5f * src[mid * channels + c] +
                                              0.25f * src[hi * channels + c];
            }
    };
    tmp_.resize(std::max(tmp_.size(), grid.size()));
    for (int pass = 0; pass < 2; ++pass) {
        blur(grid.data(), tmp_.data(), 1, 0);
        blur(tmp_.data(), grid.data(), 0, 1);
    }
}

namespace {
KEYSWAP_ROW_KERNEL
void lerp_row(const float* __restrict lo, const float* __restrict hi, float t, int n, float* __restrict out) {
    for (int x = 0; x < n; ++x) out[x] = lo[x] + t * (hi[x] - lo[x]);
}
}  // namespace

void ScreenField::expand_channel_row(int y, int c, float* out) const {
    const Rows f = rows(y);
    const std::size_t o = std::size_t(c) * width_;
    lerp_row(f.lo + o, f.hi + o, f.t, width_, out);
}

void ScreenField::expand_row(int y, float* r, float* g, float* b) const {
    expand_channel_row(y, 0, r);
    expand_channel_row(y, 1, g);
    expand_channel_row(y, 2, b);
}

void ScreenField::expand_inverse_difference_row(int y, float* inv_ds) const {
    expand_channel_row(y, kInverseDifference, inv_ds);
}

void ScreenField::expand_white_row(int y, float* ws) const { expand_channel_row(y, kScale, ws); }

}  // namespace keyswap::matte
