// Frames in capture layouts (what OBS's async sources and cameras hand over) to RGBA, checked
// against FFmpeg's swscale as an independent encoder: a picture of flat 2x2 blocks (so chroma
// subsampling loses nothing) goes RGB -> YUV by swscale with a stated matrix and range, and
// back by io::to_rgba; and against known values of the standards.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "keyswap/core/error.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/io/yuv_convert.hpp"

extern "C" {
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

namespace keyswap::test {
namespace {

constexpr int kW = 64, kH = 48;

ImageU8 blocks() {
    ImageU8 img(kW, kH, 4);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> d(0, 255);
    for (int by = 0; by < kH; by += 2)
        for (int bx = 0; bx < kW; bx += 2) {
            const int r = d(rng), g = d(rng), b = d(rng);
            for (int y = by; y < by + 2; ++y)
                for (int x = bx; x < bx + 2; ++x) {
                    img.at(x, y, 0) = static_cast<std::uint8_t>(r);
                    img.at(x, y, 1) = static_cast<std::uint8_t>(g);
                    img.at(x, y, 2) = static_cast<std::uint8_t>(b);
                    img.at(x, y, 3) = 255;
                }
        }
    // The extremes, where range handling shows: black, white, pure primaries.
    const int fixed[5][3] = {{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
    for (int i = 0; i < 5; ++i)
        for (int y = 0; y < 2; ++y)
            for (int x = 2 * i; x < 2 * i + 2; ++x)
                for (int c = 0; c < 3; ++c) img.at(x, y, c) = static_cast<std::uint8_t>(fixed[i][c]);
    return img;
}

struct Encoded {
    std::vector<std::uint8_t> buf;
    io::PlaneFrame frame;
};

// RGB -> the layout with swscale, exact rounding, the given matrix and range.
Encoded encode(const ImageU8& rgba, io::PlaneLayout layout, AVPixelFormat fmt, bool bt709, bool full) {
    SwsContext* sws = sws_getContext(kW, kH, AV_PIX_FMT_RGBA, kW, kH, fmt, SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                                     nullptr, nullptr, nullptr);
    EXPECT_NE(sws, nullptr);
    const int* coeffs = sws_getCoefficients(bt709 ? SWS_CS_ITU709 : SWS_CS_ITU601);
    sws_setColorspaceDetails(sws, coeffs, 1, coeffs, full ? 1 : 0, 0, 1 << 16, 1 << 16);
    Encoded e;
    e.buf.resize(static_cast<std::size_t>(av_image_get_buffer_size(fmt, kW, kH, 1)));
    std::uint8_t* planes[4] = {};
    int lines[4] = {};
    av_image_fill_arrays(planes, lines, e.buf.data(), fmt, kW, kH, 1);
    const std::uint8_t* src[1] = {rgba.data()};
    const int src_lines[1] = {kW * 4};
    sws_scale(sws, src, src_lines, 0, kH, planes, lines);
    sws_freeContext(sws);
    e.frame.layout = layout;
    e.frame.width = kW;
    e.frame.height = kH;
    for (int i = 0; i < 4; ++i) {
        e.frame.data[i] = planes[i];
        e.frame.linesize[i] = lines[i];
    }
    return e;
}

int max_rgb_error(const ImageU8& a, const ImageU8& b) {
    int worst = 0;
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x)
            for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(a.at(x, y, c) - b.at(x, y, c)));
    return worst;
}

struct Case {
    io::PlaneLayout layout;
    AVPixelFormat fmt;
};

TEST(YuvConvert, EveryLayoutMatrixAndRangeComesBackWithinTwoLevels) {
    const ImageU8 truth = blocks();
    const Case cases[] = {{io::PlaneLayout::I420, AV_PIX_FMT_YUV420P}, {io::PlaneLayout::NV12, AV_PIX_FMT_NV12},
                          {io::PlaneLayout::YUY2, AV_PIX_FMT_YUYV422}, {io::PlaneLayout::UYVY, AV_PIX_FMT_UYVY422},
                          {io::PlaneLayout::YVYU, AV_PIX_FMT_YVYU422}, {io::PlaneLayout::I422, AV_PIX_FMT_YUV422P},
                          {io::PlaneLayout::I444, AV_PIX_FMT_YUV444P}};
    for (const Case& c : cases)
        for (bool bt709 : {false, true})
            for (bool full : {false, true}) {
                const Encoded e = encode(truth, c.layout, c.fmt, bt709, full);
                ImageU8 back;
                io::to_rgba(e.frame, io::yuv_matrix(bt709, full), back);
                ASSERT_EQ(back.width(), kW);
                // 8-bit YUV keeps about 7.8 bits of each RGB channel: 2 levels is rounding.
                EXPECT_LE(max_rgb_error(truth, back), 2)
                    << io::layout_name(c.layout) << (bt709 ? " BT.709" : " BT.601") << (full ? " full" : " limited");
                // Taken with the wrong matrix or range, the picture is visibly off: the
                // check can fail.
                ImageU8 wrong;
                io::to_rgba(e.frame, io::yuv_matrix(!bt709, full), wrong);
                EXPECT_GT(max_rgb_error(truth, wrong), 10) << io::layout_name(c.layout);
                io::to_rgba(e.frame, io::yuv_matrix(bt709, !full), wrong);
                EXPECT_GT(max_rgb_error(truth, wrong), 10) << io::layout_name(c.layout);
            }
}

// Random planes of odd sizes, converted on one thread and on a pool whose row ranges start on
// odd rows, against the matrix applied in floating point: every layout within a level. A
// broken chroma index (a pair shifted, the last odd column, a chroma row shared by the wrong
// luma rows) shows as tens of levels on noise.
TEST(YuvConvert, OddSizesAndThreadsMatchTheMatrixWithinALevel) {
    std::mt19937 rng(7);
    for (const auto layout : {io::PlaneLayout::I420, io::PlaneLayout::NV12, io::PlaneLayout::I422, io::PlaneLayout::I444})
        for (const auto& [w, h] : {std::pair{63, 47}, std::pair{1281, 19}})
            for (bool full : {false, true}) {
                const int cw = layout == io::PlaneLayout::I444 ? w : (w + 1) / 2;
                const int ch = layout == io::PlaneLayout::I420 || layout == io::PlaneLayout::NV12 ? (h + 1) / 2 : h;
                std::vector<std::uint8_t> y(std::size_t(w) * h), u(std::size_t(cw) * ch), v(u.size()), uv(2 * u.size());
                for (auto& p : y) p = std::uint8_t(rng());
                for (std::size_t i = 0; i < u.size(); ++i) {
                    u[i] = std::uint8_t(rng()), v[i] = std::uint8_t(rng());
                    uv[2 * i] = u[i], uv[2 * i + 1] = v[i];
                }
                io::PlaneFrame f;
                f.layout = layout;
                f.width = w;
                f.height = h;
                if (layout == io::PlaneLayout::NV12) {
                    f.data = {y.data(), uv.data(), nullptr, nullptr};
                    f.linesize = {w, 2 * cw, 0, 0};
                } else {
                    f.data = {y.data(), u.data(), v.data(), nullptr};
                    f.linesize = {w, cw, cw, 0};
                }
                const io::YuvMatrix m = io::yuv_matrix(true, full);
                ThreadPool pool(3);
                for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
                    ImageU8 out;
                    io::to_rgba(f, m, out, p);
                    int worst = 0;
                    for (int py = 0; py < h; ++py)
                        for (int px = 0; px < w; ++px) {
                            const bool sub_x = layout != io::PlaneLayout::I444;
                            const bool sub_y = layout == io::PlaneLayout::I420 || layout == io::PlaneLayout::NV12;
                            const std::size_t ci = std::size_t(sub_y ? py / 2 : py) * cw + std::size_t(sub_x ? px / 2 : px);
                            const float in[3] = {y[std::size_t(py) * w + px] / 255.0f, u[ci] / 255.0f, v[ci] / 255.0f};
                            float c[3];
                            for (int k = 0; k < 3; ++k) c[k] = std::clamp(in[k], m.min[k], m.max[k]);
                            for (int k = 0; k < 3; ++k) {
                                const float want = std::clamp(
                                    (m.m[k * 4] * c[0] + m.m[k * 4 + 1] * c[1] + m.m[k * 4 + 2] * c[2] + m.m[k * 4 + 3]) * 255.0f,
                                    0.0f, 255.0f);
                                worst = std::max(worst, int(std::lround(std::abs(want - out.at(px, py, k)))));
                            }
                            ASSERT_EQ(out.at(px, py, 3), 255);
                        }
                    EXPECT_LE(worst, 1) << io::layout_name(layout) << " " << w << "x" << h << (full ? " full" : " limited")
                                        << (p ? " on a pool" : " on one thread");
                }
            }
}

// A capture program reuses its frame once the callback returns: the copy handed to another
// thread must convert exactly as the frame did, after the frame's memory has been reused.
TEST(YuvConvert, PlaneCopyConvertsLikeTheFrameAfterTheFrameIsReused) {
    const ImageU8 truth = blocks();
    const Case cases[] = {{io::PlaneLayout::I420, AV_PIX_FMT_YUV420P}, {io::PlaneLayout::NV12, AV_PIX_FMT_NV12},
                          {io::PlaneLayout::YUY2, AV_PIX_FMT_YUYV422}, {io::PlaneLayout::I422, AV_PIX_FMT_YUV422P},
                          {io::PlaneLayout::I444, AV_PIX_FMT_YUV444P}, {io::PlaneLayout::RGBA, AV_PIX_FMT_RGBA},
                          {io::PlaneLayout::BGRA, AV_PIX_FMT_BGRA}};
    // One copy reused frame after frame through every layout (the OBS filter hands its copies
    // back and forth): each frame must convert as itself, with no plane left from the last.
    io::PlaneCopy reused;
    for (int round = 0; round < 2; ++round)
        for (const Case& c : cases) {
            Encoded e = encode(truth, c.layout, c.fmt, true, false);
            const auto m = io::yuv_matrix(true, false);
            ImageU8 direct, copied, again;
            io::to_rgba(e.frame, m, direct);
            const io::PlaneCopy copy(e.frame);
            reused.assign(e.frame);
            std::fill(e.buf.begin(), e.buf.end(), std::uint8_t{77});
            io::to_rgba(copy.view(), m, copied);
            io::to_rgba(reused.view(), m, again);
            ASSERT_EQ(copied.width(), kW) << io::layout_name(c.layout);
            EXPECT_EQ(max_rgb_error(direct, copied), 0) << io::layout_name(c.layout);
            EXPECT_EQ(max_rgb_error(direct, again), 0) << io::layout_name(c.layout);
            EXPECT_LE(max_rgb_error(truth, copied), 2) << io::layout_name(c.layout);
            for (int p = 0; p < 4; ++p)
                EXPECT_EQ(reused.view().data[p] == nullptr, copy.view().data[p] == nullptr)
                    << io::layout_name(c.layout) << " plane " << p;
        }
    Encoded e = encode(truth, io::PlaneLayout::I420, AV_PIX_FMT_YUV420P, true, false);
    e.frame.data[2] = nullptr;  // a frame missing its V plane is refused, not read
    EXPECT_THROW(io::PlaneCopy{e.frame}, Error);
}

// What OBS's layouts tell the keyer: the subsampling of each layout and the luma weights of
// the matrix it hands over, recovered from the matrix itself (whatever the range).
TEST(YuvConvert, ChromaSamplingOfLayoutsAndMatrices) {
    for (bool bt709 : {false, true})
        for (bool full : {false, true}) {
            const ChromaSampling s = io::chroma_sampling(io::PlaneLayout::NV12, io::yuv_matrix(bt709, full));
            EXPECT_EQ(s.block_w, 2);
            EXPECT_EQ(s.block_h, 2);
            EXPECT_NEAR(s.kr, bt709 ? 0.2126f : 0.299f, 1e-4) << bt709 << full;
            EXPECT_NEAR(s.kb, bt709 ? 0.0722f : 0.114f, 1e-4) << bt709 << full;
        }
    const auto m = io::yuv_matrix(true, false);
    EXPECT_EQ(io::chroma_sampling(io::PlaneLayout::I420, m).block_h, 2);
    for (auto l : {io::PlaneLayout::YUY2, io::PlaneLayout::UYVY, io::PlaneLayout::YVYU, io::PlaneLayout::I422}) {
        EXPECT_EQ(io::chroma_sampling(l, m).block_w, 2) << io::layout_name(l);
        EXPECT_EQ(io::chroma_sampling(l, m).block_h, 1) << io::layout_name(l);
    }
    for (auto l : {io::PlaneLayout::I444, io::PlaneLayout::RGBA, io::PlaneLayout::BGRA, io::PlaneLayout::BGRX,
                   io::PlaneLayout::Y800})
        EXPECT_FALSE(io::chroma_sampling(l, m).subsampled()) << io::layout_name(l);
}

TEST(YuvConvert, KnownValuesOfTheStandards) {
    // Limited range: 16 is black, 235 white, whatever the matrix; values outside are clamped.
    const std::uint8_t y[4] = {16, 235, 0, 255}, u[4] = {128, 128, 128, 128}, v[4] = {128, 128, 128, 128};
    io::PlaneFrame f;
    f.layout = io::PlaneLayout::I444;
    f.width = 4;
    f.height = 1;
    f.data = {y, u, v, nullptr};
    f.linesize = {4, 4, 4, 0};
    ImageU8 out;
    io::to_rgba(f, io::yuv_matrix(true, false), out);
    EXPECT_EQ(out.at(0, 0, 0), 0);
    EXPECT_EQ(out.at(1, 0, 1), 255);
    EXPECT_EQ(out.at(2, 0, 2), 0) << "below 16 is clamped to black";
    EXPECT_EQ(out.at(3, 0, 0), 255) << "above 235 is clamped to white";
    EXPECT_EQ(out.at(0, 0, 3), 255);
    // BT.709 limited pure green is Y 173, U 42, V 26 (ITU-R BT.709 table).
    const std::uint8_t gy[1] = {173}, gu[1] = {42}, gv[1] = {26};
    f.width = 1;
    f.data = {gy, gu, gv, nullptr};
    io::to_rgba(f, io::yuv_matrix(true, false), out);
    EXPECT_LE(out.at(0, 0, 0), 2);
    EXPECT_GE(out.at(0, 0, 1), 253);
    EXPECT_LE(out.at(0, 0, 2), 2);
}

TEST(YuvConvert, PackedRgbLayoutsSwapAndKeepOrDropAlpha) {
    const std::uint8_t px[8] = {10, 20, 30, 40, 50, 60, 70, 80};
    io::PlaneFrame f;
    f.width = 2;
    f.height = 1;
    f.data = {px, nullptr, nullptr, nullptr};
    f.linesize = {8, 0, 0, 0};
    ImageU8 out;
    f.layout = io::PlaneLayout::RGBA;
    io::to_rgba(f, {}, out);
    EXPECT_EQ(std::vector<std::uint8_t>(out.data(), out.data() + 8), std::vector<std::uint8_t>(px, px + 8));
    f.layout = io::PlaneLayout::BGRA;
    io::to_rgba(f, {}, out);
    EXPECT_EQ(out.at(0, 0, 0), 30);
    EXPECT_EQ(out.at(0, 0, 2), 10);
    EXPECT_EQ(out.at(1, 0, 3), 80) << "BGRA keeps its alpha";
    f.layout = io::PlaneLayout::BGRX;
    io::to_rgba(f, {}, out);
    EXPECT_EQ(out.at(1, 0, 3), 255) << "BGRX is opaque";
    // A frame without its chroma planes is refused, not read out of bounds.
    f.layout = io::PlaneLayout::I420;
    EXPECT_THROW(io::to_rgba(f, io::yuv_matrix(false, false), out), Error);
}

}  // namespace
}  // namespace keyswap::test
