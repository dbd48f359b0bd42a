#pragma once
// Frames in the layouts capture programs hand over (OBS's async sources, cameras): planar and
// packed YUV at 4:2:0, 4:2:2 and 4:4:4, and packed RGB, converted once to straight RGBA8 with
// a given YUV->RGB matrix, so full and limited range and BT.601/709 come out right.
//
// What this represents: `PlaneFrame` is a borrowed view of someone else's planes; `YuvMatrix`
// is the conversion as OBS states it per frame (rgb = M * (y, u, v, 1) with y, u, v in 0..1,
// each clamped to its range first), so a front end that receives a matrix uses it as it is.
// Thread safety: pure functions. Errors: Error(Usage) for a layout this does not convert.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/core/thread_pool.hpp"

namespace keyswap::io {

enum class PlaneLayout { I420, NV12, YUY2, UYVY, YVYU, I422, I444, RGBA, BGRA, BGRX, Y800 };

const char* layout_name(PlaneLayout layout);

struct PlaneFrame {
    PlaneLayout layout = PlaneLayout::RGBA;
    int width = 0, height = 0;
    std::array<const std::uint8_t*, 4> data{};
    std::array<int, 4> linesize{};
};

// An owned, tightly packed copy of a frame's planes: a capture program's frame lives only for
// its callback, so a frame converted on another thread is copied first (a plain copy costs a
// fraction of the conversion). view() borrows it back as a PlaneFrame.
class PlaneCopy {
public:
    PlaneCopy() = default;
    explicit PlaneCopy(const PlaneFrame& frame) { assign(frame); }
    // Copies `frame` in, reusing this copy's storage (a capture callback that hands its last
    // copy back pays no allocation per frame). Error(Input) for an empty frame or a missing plane.
    void assign(const PlaneFrame& frame);
    PlaneFrame view() const;
    bool empty() const { return shape_.width <= 0; }

private:
    PlaneFrame shape_;
    std::array<std::vector<std::uint8_t>, 4> planes_;
};

struct YuvMatrix {
    std::array<float, 16> m{};           // rows: R, G, B, (unused)
    std::array<float, 3> min{0, 0, 0};    // y, u, v clamped into [min, max] before the matrix
    std::array<float, 3> max{1, 1, 1};
};

// The standard matrices: BT.601 or BT.709, limited (16-235/240) or full range.
YuvMatrix yuv_matrix(bool bt709, bool full_range);

// How `layout` stores chroma (4:2:0 layouts one sample per 2x2 pixels, 4:2:2 per 2x1, the
// rest per pixel), with the luma weights `matrix` was built from, so the keyer can rebuild
// the chroma detail subsampling took away (matte/chroma_restore.hpp).
ChromaSampling chroma_sampling(PlaneLayout layout, const YuvMatrix& matrix);

// Converts to straight RGBA8 (opaque; RGBA input keeps its alpha, BGRX becomes opaque).
// `out` is reshaped to width x height x 4. Rows are split over `pool`; nullptr converts on
// the calling thread alone (for a caller whose thread may not share the pool, e.g. a capture
// callback running while the pass uses it).
void to_rgba(const PlaneFrame& frame, const YuvMatrix& matrix, ImageU8& out, ThreadPool* pool);
inline void to_rgba(const PlaneFrame& frame, const YuvMatrix& matrix, ImageU8& out) {
    to_rgba(frame, matrix, out, &ThreadPool::shared());
}

}  // namespace keyswap::io
