#include "keyswap/io/yuv_convert.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>

#include "keyswap/core/error.hpp"
#include "keyswap/core/row_kernel.hpp"
#include "keyswap/core/thread_pool.hpp"

namespace keyswap::io {

const char* layout_name(PlaneLayout l) {
    switch (l) {
        case PlaneLayout::I420: return "I420";
        case PlaneLayout::NV12: return "NV12";
        case PlaneLayout::YUY2: return "YUY2";
        case PlaneLayout::UYVY: return "UYVY";
        case PlaneLayout::YVYU: return "YVYU";
        case PlaneLayout::I422: return "I422";
        case PlaneLayout::I444: return "I444";
        case PlaneLayout::RGBA: return "RGBA";
        case PlaneLayout::BGRA: return "BGRA";
        case PlaneLayout::BGRX: return "BGRX";
        case PlaneLayout::Y800: return "Y800";
    }
    return "?";
}

ChromaSampling chroma_sampling(PlaneLayout layout, const YuvMatrix& matrix) {
    ChromaSampling s;
    switch (layout) {
        case PlaneLayout::I420:
        case PlaneLayout::NV12: s.block_w = s.block_h = 2; break;
        case PlaneLayout::YUY2:
        case PlaneLayout::UYVY:
        case PlaneLayout::YVYU:
        case PlaneLayout::I422: s.block_w = 2; break;
        default: return s;
    }
    // R = ys*y + 2(1-kr)*cs*v and B = ys*y + 2(1-kb)*cs*u (yuv_matrix), where cs/ys is the
    // ratio of the luma and chroma ranges.
    const auto& m = matrix.m;
    const float range = (matrix.max[1] - matrix.min[1]) / std::max(1e-6f, matrix.max[0] - matrix.min[0]);
    if (m[0] > 0.f && m[8] > 0.f) {
        const float kr = 1.f - 0.5f * m[2] / m[0] * range, kb = 1.f - 0.5f * m[9] / m[8] * range;
        if (kr > 0.f && kb > 0.f && kr + kb < 1.f) s.kr = kr, s.kb = kb;
    }
    return s;
}

namespace {

// Bytes per row and rows of each plane a layout has (zero rows: no such plane).
struct PlaneShape {
    int row_bytes = 0, rows = 0;
};

std::array<PlaneShape, 4> plane_shapes(PlaneLayout l, int w, int h) {
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    switch (l) {
        case PlaneLayout::I420: return {{{w, h}, {cw, ch}, {cw, ch}, {}}};
        case PlaneLayout::I422: return {{{w, h}, {cw, h}, {cw, h}, {}}};
        case PlaneLayout::I444: return {{{w, h}, {w, h}, {w, h}, {}}};
        case PlaneLayout::NV12: return {{{w, h}, {cw * 2, ch}, {}, {}}};
        case PlaneLayout::YUY2:
        case PlaneLayout::UYVY:
        case PlaneLayout::YVYU: return {{{cw * 4, h}, {}, {}, {}}};
        case PlaneLayout::RGBA:
        case PlaneLayout::BGRA:
        case PlaneLayout::BGRX: return {{{w * 4, h}, {}, {}, {}}};
        case PlaneLayout::Y800: return {{{w, h}, {}, {}, {}}};
    }
    return {};
}

}  // namespace

void PlaneCopy::assign(const PlaneFrame& f) {
    if (f.width <= 0 || f.height <= 0 || !f.data[0])
        fail(ErrorKind::Input, std::string("empty ") + layout_name(f.layout) + " frame");
    const auto shapes = plane_shapes(f.layout, f.width, f.height);
    for (std::size_t p = 0; p < shapes.size(); ++p)
        if (shapes[p].rows > 0 && !f.data[p])
            fail(ErrorKind::Input, std::string(layout_name(f.layout)) + " frame without plane " + std::to_string(p));
    shape_ = f;
    for (std::size_t p = 0; p < planes_.size(); ++p) {
        shape_.data[p] = nullptr;
        shape_.linesize[p] = 0;
        const auto [bytes, rows] = shapes[p];
        // resize() keeps the storage of a reused copy; planes this layout lacks are dropped so
        // view() cannot hand out a previous frame's plane.
        planes_[p].resize(std::size_t(bytes) * std::size_t(rows));
        for (int y = 0; y < rows; ++y)
            std::memcpy(planes_[p].data() + std::size_t(y) * bytes, f.data[p] + std::ptrdiff_t(y) * f.linesize[p],
                        std::size_t(bytes));
        shape_.linesize[p] = bytes;
    }
}

PlaneFrame PlaneCopy::view() const {
    PlaneFrame v = shape_;
    for (std::size_t p = 0; p < planes_.size(); ++p) v.data[p] = planes_[p].empty() ? nullptr : planes_[p].data();
    return v;
}

YuvMatrix yuv_matrix(bool bt709, bool full_range) {
    const float kr = bt709 ? 0.2126f : 0.299f, kb = bt709 ? 0.0722f : 0.114f, kg = 1.0f - kr - kb;
    // Normalised y' in 0..1 and chroma in -0.5..0.5 from the stored 0..1 values.
    const float ys = full_range ? 1.0f : 255.0f / 219.0f, yo = full_range ? 0.0f : 16.0f / 255.0f;
    const float cs = full_range ? 1.0f : 255.0f / 224.0f, co = 128.0f / 255.0f;
    const float rv = 2.0f * (1.0f - kr), bu = 2.0f * (1.0f - kb);
    const float gu = -bu * kb / kg, gv = -rv * kr / kg;
    YuvMatrix m;
    auto row = [&](int r, float u, float v) {
        m.m[r * 4 + 0] = ys;
        m.m[r * 4 + 1] = u * cs;
        m.m[r * 4 + 2] = v * cs;
        m.m[r * 4 + 3] = -ys * yo - (u + v) * cs * co;
    };
    row(0, 0.0f, rv);
    row(1, gu, gv);
    row(2, bu, 0.0f);
    m.m[15] = 1.0f;
    if (!full_range) {
        m.min = {16.0f / 255.0f, 16.0f / 255.0f, 16.0f / 255.0f};
        m.max = {235.0f / 255.0f, 240.0f / 255.0f, 240.0f / 255.0f};
    }
    return m;
}

namespace {

// Per-row kernels: fill the row's y, u, v (chroma already at full resolution) and let one
// loop apply the matrix through tables, so the arithmetic is written once.
struct Rows {
    std::vector<std::uint8_t> y, u, v;
    void resize(int w) {
        y.resize(w);
        u.resize(w);
        v.resize(w);
    }
};

KEYSWAP_ROW_KERNEL void fetch_row(const PlaneFrame& f, int yrow, Rows& r) {
    const int w = f.width;
    const std::uint8_t* p0 = f.data[0] + std::ptrdiff_t(yrow) * f.linesize[0];
    switch (f.layout) {
        case PlaneLayout::I420:
        case PlaneLayout::I422:
        case PlaneLayout::I444: {
            const int cy = f.layout == PlaneLayout::I420 ? yrow / 2 : yrow;
            const std::uint8_t* pu = f.data[1] + std::ptrdiff_t(cy) * f.linesize[1];
            const std::uint8_t* pv = f.data[2] + std::ptrdiff_t(cy) * f.linesize[2];
            std::memcpy(r.y.data(), p0, std::size_t(w));
            if (f.layout == PlaneLayout::I444) {
                std::memcpy(r.u.data(), pu, std::size_t(w));
                std::memcpy(r.v.data(), pv, std::size_t(w));
                return;
            }
            // Each chroma sample covers two pixels: written in pairs so the loop vectorises.
            std::uint8_t* __restrict du = r.u.data();
            std::uint8_t* __restrict dv = r.v.data();
            const int pairs = w / 2;
            for (int i = 0; i < pairs; ++i) {
                du[2 * i] = du[2 * i + 1] = pu[i];
                dv[2 * i] = dv[2 * i + 1] = pv[i];
            }
            if (w & 1) {
                du[w - 1] = pu[pairs];
                dv[w - 1] = pv[pairs];
            }
            return;
        }
        case PlaneLayout::NV12: {
            const std::uint8_t* uv = f.data[1] + std::ptrdiff_t(yrow / 2) * f.linesize[1];
            for (int x = 0; x < w; ++x) {
                r.y[x] = p0[x];
                r.u[x] = uv[(x >> 1) * 2];
                r.v[x] = uv[(x >> 1) * 2 + 1];
            }
            return;
        }
        case PlaneLayout::YUY2:
        case PlaneLayout::UYVY:
        case PlaneLayout::YVYU: {
            // Byte offsets of Y, U and V within each 4-byte pair of pixels.
            const int oy = f.layout == PlaneLayout::UYVY ? 1 : 0;
            const int ou = f.layout == PlaneLayout::YUY2 ? 1 : f.layout == PlaneLayout::UYVY ? 0 : 3;
            const int ov = f.layout == PlaneLayout::YUY2 ? 3 : f.layout == PlaneLayout::UYVY ? 2 : 1;
            for (int x = 0; x < w; ++x) {
                const std::uint8_t* pair = p0 + (x >> 1) * 4;
                r.y[x] = pair[oy + (x & 1) * 2];
                r.u[x] = pair[ou];
                r.v[x] = pair[ov];
            }
            return;
        }
        case PlaneLayout::Y800:
            for (int x = 0; x < w; ++x) {
                r.y[x] = p0[x];
                r.u[x] = 128;
                r.v[x] = 128;
            }
            return;
        default:
            return;
    }
}

KEYSWAP_ROW_KERNEL void rgb_rows(const PlaneFrame& f, ImageU8& out, int y0, int y1) {
    const int w = f.width;
    const bool bgr = f.layout != PlaneLayout::RGBA;
    const bool opaque = f.layout == PlaneLayout::BGRX;
    for (int y = y0; y < y1; ++y) {
        const std::uint8_t* s = f.data[0] + std::ptrdiff_t(y) * f.linesize[0];
        std::uint8_t* d = out.row(y);
        for (int x = 0; x < w; ++x) {
            d[4 * x + 0] = s[4 * x + (bgr ? 2 : 0)];
            d[4 * x + 1] = s[4 * x + 1];
            d[4 * x + 2] = s[4 * x + (bgr ? 0 : 2)];
            d[4 * x + 3] = opaque ? 255 : s[4 * x + 3];
        }
    }
}


// The matrix in 16.16 fixed point (see to_rgba).
struct FixedMatrix {
    std::int32_t k[3][3], offset[3], lo[3], hi[3];
};

// One RGBA pixel from the three channels' 16.16 sums; always inlined, or the loops that call it
// do not vectorise.
[[gnu::always_inline]] inline std::uint32_t pack_rgba(std::int32_t r, std::int32_t g, std::int32_t b) {
    return std::uint32_t(std::clamp(r >> 16, 0, 255)) | std::uint32_t(std::clamp(g >> 16, 0, 255)) << 8 |
           std::uint32_t(std::clamp(b >> 16, 0, 255)) << 16 | 0xff000000u;
}

// Each chroma sample's share of red, green and blue (with the offsets and rounding) for a
// standard matrix (no U in red, no V in blue), written for both pixels it covers.
KEYSWAP_ROW_KERNEL void chroma_terms(const std::uint8_t* __restrict u8, const std::uint8_t* __restrict v8, int n, const FixedMatrix& c,
                  std::int32_t* __restrict r32, std::int32_t* __restrict g32, std::int32_t* __restrict b32) {
    const std::int32_t rv = c.k[0][2], gu = c.k[1][1], gv = c.k[1][2], bu = c.k[2][1];
    const std::int32_t lu = c.lo[1], hu = c.hi[1], lv = c.lo[2], hv = c.hi[2];
    const std::int32_t o0 = c.offset[0], o1 = c.offset[1], o2 = c.offset[2];
    for (int i = 0; i < n; ++i) {
        const std::int32_t U = std::clamp<std::int32_t>(u8[i], lu, hu);
        const std::int32_t V = std::clamp<std::int32_t>(v8[i], lv, hv);
        r32[2 * i] = r32[2 * i + 1] = rv * V + o0;
        g32[2 * i] = g32[2 * i + 1] = gu * U + gv * V + o1;
        b32[2 * i] = b32[2 * i + 1] = bu * U + o2;
    }
}

// Each pixel adds its luma to its chroma's share: one multiply a pixel.
KEYSWAP_ROW_KERNEL void add_luma(const std::uint8_t* __restrict py, const std::int32_t* __restrict r32, const std::int32_t* __restrict g32,
              const std::int32_t* __restrict b32, int w, const FixedMatrix& c, std::uint32_t* __restrict d) {
    const std::int32_t ky = c.k[0][0], lo = c.lo[0], hi = c.hi[0];
    for (int x = 0; x < w; ++x) {
        const std::int32_t Y = ky * std::clamp<std::int32_t>(py[x], lo, hi);
        d[x] = pack_rgba(Y + r32[x], Y + g32[x], Y + b32[x]);
    }
}

// A row with a chroma sample per pixel (I444, and YUY2 once fetched) for any standard matrix:
// one luma weight for all channels, no U in red, no V in blue: five multiplies a pixel.
KEYSWAP_ROW_KERNEL void full_chroma_standard(const std::uint8_t* __restrict py, const std::uint8_t* __restrict pu,
                                             const std::uint8_t* __restrict pv, int w, const FixedMatrix& m,
                                             std::uint32_t* __restrict d) {
    const FixedMatrix c = m;  // a local copy: the constants stay in registers
    const std::int32_t ky = c.k[0][0], rv = c.k[0][2], gu = c.k[1][1], gv = c.k[1][2], bu = c.k[2][1];
    for (int x = 0; x < w; ++x) {
        const std::int32_t Y = ky * std::clamp<std::int32_t>(py[x], c.lo[0], c.hi[0]);
        const std::int32_t U = std::clamp<std::int32_t>(pu[x], c.lo[1], c.hi[1]);
        const std::int32_t V = std::clamp<std::int32_t>(pv[x], c.lo[2], c.hi[2]);
        d[x] = pack_rgba(Y + rv * V + c.offset[0], Y + gu * U + gv * V + c.offset[1], Y + bu * U + c.offset[2]);
    }
}

// The same for any matrix: nine multiplies a pixel.
KEYSWAP_ROW_KERNEL void full_chroma_any(const std::uint8_t* __restrict py, const std::uint8_t* __restrict pu,
                                        const std::uint8_t* __restrict pv, int w, const FixedMatrix& m,
                                        std::uint32_t* __restrict d) {
    const FixedMatrix c = m;
    for (int x = 0; x < w; ++x) {
        const std::int32_t Y = std::clamp<std::int32_t>(py[x], c.lo[0], c.hi[0]);
        const std::int32_t U = std::clamp<std::int32_t>(pu[x], c.lo[1], c.hi[1]);
        const std::int32_t V = std::clamp<std::int32_t>(pv[x], c.lo[2], c.hi[2]);
        d[x] = pack_rgba(c.k[0][0] * Y + c.k[0][1] * U + c.k[0][2] * V + c.offset[0],
                         c.k[1][0] * Y + c.k[1][1] * U + c.k[1][2] * V + c.offset[1],
                         c.k[2][0] * Y + c.k[2][1] * U + c.k[2][2] * V + c.offset[2]);
    }
}

}  // namespace

void to_rgba(const PlaneFrame& f, const YuvMatrix& mx, ImageU8& out, ThreadPool* pool) {
    const auto rows = [pool](int n, const std::function<void(int, int)>& fn) {
        if (pool) pool->parallel_rows(n, fn);
        else fn(0, n);
    };
    if (f.width <= 0 || f.height <= 0 || !f.data[0])
        fail(ErrorKind::Input, std::string("empty ") + layout_name(f.layout) + " frame");
    out.reshape(f.width, f.height, 4);
    if (f.layout == PlaneLayout::RGBA || f.layout == PlaneLayout::BGRA || f.layout == PlaneLayout::BGRX) {
        rows(f.height, [&](int y0, int y1) { rgb_rows(f, out, y0, y1); });
        return;
    }
    const bool two_planes = f.layout == PlaneLayout::NV12;
    const bool three_planes = f.layout == PlaneLayout::I420 || f.layout == PlaneLayout::I422 || f.layout == PlaneLayout::I444;
    if ((two_planes && !f.data[1]) || (three_planes && (!f.data[1] || !f.data[2])))
        fail(ErrorKind::Input, std::string(layout_name(f.layout)) + " frame without its chroma planes");
    // The matrix in 16.16 fixed point, applied with integer arithmetic the compiler turns into
    // SIMD (no per-pixel table lookups, which are gathers): each component clamped to its
    // range, three multiply-adds a channel, the offset and the rounding in one constant, and
    // the pixel written as one 32-bit word.
    FixedMatrix fx;
    for (int k = 0; k < 3; ++k) {
        fx.lo[k] = static_cast<std::int32_t>(std::lround(mx.min[k] * 255.0f));
        fx.hi[k] = static_cast<std::int32_t>(std::lround(mx.max[k] * 255.0f));
    }
    for (int c = 0; c < 3; ++c) {
        for (int k = 0; k < 3; ++k) fx.k[c][k] = static_cast<std::int32_t>(std::lround(mx.m[c * 4 + k] * 65536.0f));
        fx.offset[c] = static_cast<std::int32_t>(std::lround((mx.m[c * 4 + 3] * 255.0f + 0.5f) * 65536.0f));
    }
    const bool standard = fx.k[0][0] == fx.k[1][0] && fx.k[0][0] == fx.k[2][0] && fx.k[0][1] == 0 && fx.k[2][2] == 0;
    static_assert(std::endian::native == std::endian::little, "RGBA bytes are packed into little-endian words");
    const bool half_chroma = f.layout == PlaneLayout::I420 || f.layout == PlaneLayout::I422 || f.layout == PlaneLayout::NV12;
    if (standard && half_chroma) {
        // The common capture layouts (H.264 and camera frames): each chroma sample's share of
        // red, green and blue is worked out once for the two pixels it covers, then each pixel
        // adds its luma: one multiply a pixel plus three a chroma sample.
        rows(f.height, [&](int y0, int y1) {
            const FixedMatrix c = fx;
            const int w = f.width, pairs = (w + 1) / 2;
            std::vector<std::uint8_t> us(static_cast<std::size_t>(pairs)), vs(static_cast<std::size_t>(pairs));
            std::vector<std::int32_t> cr(static_cast<std::size_t>(2 * pairs)), cg(cr.size()), cb(cr.size());
            for (int y = y0; y < y1; ++y) {
                // 4:2:0 rows share a chroma row in pairs: its terms serve both.
                const bool fresh = f.layout == PlaneLayout::I422 || y == y0 || (y & 1) == 0;
                if (fresh) {
                    const int cy = f.layout == PlaneLayout::I422 ? y : y / 2;
                    const std::uint8_t* pu = f.data[1] + std::ptrdiff_t(cy) * f.linesize[1];
                    if (f.layout == PlaneLayout::NV12) {
                        for (int i = 0; i < pairs; ++i) us[std::size_t(i)] = pu[2 * i], vs[std::size_t(i)] = pu[2 * i + 1];
                    } else {
                        std::memcpy(us.data(), pu, std::size_t(pairs));
                        std::memcpy(vs.data(), f.data[2] + std::ptrdiff_t(cy) * f.linesize[2], std::size_t(pairs));
                    }
                    chroma_terms(us.data(), vs.data(), pairs, c, cr.data(), cg.data(), cb.data());
                }
                add_luma(f.data[0] + std::ptrdiff_t(y) * f.linesize[0], cr.data(), cg.data(), cb.data(), w, c,
                         reinterpret_cast<std::uint32_t*>(out.row(y)));
            }
        });
        return;
    }
    rows(f.height, [&](int y0, int y1) {
        Rows r;
        r.resize(f.width);
        const int w = f.width;
        for (int y = y0; y < y1; ++y) {
            fetch_row(f, y, r);
            std::uint32_t* __restrict d = reinterpret_cast<std::uint32_t*>(out.row(y));
            const std::uint8_t* __restrict py = r.y.data();
            const std::uint8_t* __restrict pu = r.u.data();
            const std::uint8_t* __restrict pv = r.v.data();
            if (standard) full_chroma_standard(py, pu, pv, w, fx, d);
            else full_chroma_any(py, pu, pv, w, fx, d);
        }
    });
}

}  // namespace keyswap::io
