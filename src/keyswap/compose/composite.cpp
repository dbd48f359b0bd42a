#include "keyswap/compose/composite.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cassert>
#include <vector>

#include "keyswap/core/error.hpp"

namespace keyswap::compose {

const ParamTable<ComposeSettings>& compose_params() {
    using S = ComposeSettings;
    static const ParamTable<S> table("compose", {
        {"light-wrap", "Light wrap", "Let the new background's light bleed onto the subject's edges.", &S::light_wrap, ParamType::Bool},
        {"wrap-radius", "Wrap radius", "How far background light reaches into the subject.", &S::wrap_radius, ParamType::Float, 1, 100, "px"},
        {"wrap-strength", "Wrap strength", "Amount of background light added at the edges.", &S::wrap_strength, ParamType::Float, 0, 1},
    });
    return table;
}

namespace {

// round(v / 255) for v in [0, 255*255], exact, without a division.
inline std::uint32_t div255(std::uint32_t v) { return (v + 128 + ((v + 128) >> 8)) >> 8; }

void check(ImageView<const std::uint8_t> fg, ImageView<const std::uint8_t> out) {
    if (fg.channels != 4 || out.channels != 4 || fg.width != out.width || fg.height != out.height)
        fail(ErrorKind::Processing, "composite: foreground and output must be RGBA of the same size");
}

}  // namespace

void composite_over(ImageView<const std::uint8_t> fg, ImageView<const std::uint8_t> bg, ImageView<std::uint8_t> out,
                    const ComposeSettings& s, ThreadPool& pool) {
    check(fg, out);
    if (bg.channels != 4 || bg.width != fg.width || bg.height != fg.height)
        fail(ErrorKind::Processing, "composite: background must be RGBA of the foreground's size");
    assert(out.data != bg.data);
    const int w = fg.width;

    // Light wrap: w = strength * alpha * blur(1 - alpha) is large just inside the edge; there
    // the colour moves towards the blurred background, as if its light wrapped round the subject.
    cv::Mat blurred_bg, wrap;
    if (s.light_wrap && s.wrap_strength > 0) {
        const int k = 2 * int(s.wrap_radius) + 1;
        cv::Mat bgm(bg.height, bg.width, CV_8UC4, const_cast<std::uint8_t*>(bg.data), bg.stride);
        cv::blur(bgm, blurred_bg, {k, k}, {-1, -1}, cv::BORDER_REPLICATE);
        cv::Mat inv(fg.height, fg.width, CV_32FC1);
        for (int y = 0; y < fg.height; ++y)
            for (int x = 0; x < w; ++x) inv.at<float>(y, x) = 1.f - fg.row(y)[4 * x + 3] * (1.f / 255.f);
        cv::blur(inv, wrap, {k, k}, {-1, -1}, cv::BORDER_REPLICATE);
    }
    const bool wrapping = !wrap.empty();
    const float strength = float(s.wrap_strength);
    pool.parallel_rows(fg.height, [&](int y0, int y1) {
        std::vector<float> wk(wrapping ? static_cast<std::size_t>(w) : 0);
        for (int y = y0; y < y1; ++y) {
            const std::uint8_t* f = fg.row(y);
            const std::uint8_t* b = bg.row(y);
            std::uint8_t* o = out.row(y);
            // The wrap's weights from the foreground's alpha before the composite, which may
            // overwrite it (the fused pass composites in place).
            if (wrapping) {
                const float* wr = wrap.ptr<float>(y);
                for (int x = 0; x < w; ++x) wk[std::size_t(x)] = strength * (f[4 * x + 3] * (1.f / 255.f)) * wr[x];
            }
            for (int x = 0; x < w; ++x) {
                const std::uint32_t a = f[4 * x + 3], ia = 255 - a;
                for (int c = 0; c < 3; ++c) o[4 * x + c] = std::uint8_t(div255(f[4 * x + c] * a + b[4 * x + c] * ia));
                o[4 * x + 3] = 255;
            }
            if (!wrapping) continue;
            const std::uint8_t* bb = blurred_bg.ptr<std::uint8_t>(y);
            for (int x = 0; x < w; ++x) {
                const float k = wk[std::size_t(x)];
                for (int c = 0; c < 3; ++c)
                    o[4 * x + c] = std::uint8_t(float(o[4 * x + c]) + k * (float(bb[4 * x + c]) - float(o[4 * x + c])) + 0.5f);
            }
        }
    });
}

void composite_over_colour(ImageView<const std::uint8_t> fg, const std::array<std::uint8_t, 3>& colour,
                           ImageView<std::uint8_t> out, ThreadPool& pool) {
    check(fg, out);
    const int w = fg.width;
    pool.parallel_rows(fg.height, [&](int y0, int y1) {
        for (int y = y0; y < y1; ++y) {
            const std::uint8_t* f = fg.row(y);
            std::uint8_t* o = out.row(y);
            for (int x = 0; x < w; ++x) {
                const std::uint32_t a = f[4 * x + 3], ia = 255 - a;
                for (int c = 0; c < 3; ++c) o[4 * x + c] = std::uint8_t(div255(f[4 * x + c] * a + colour[c] * ia));
                o[4 * x + 3] = 255;
            }
        }
    });
}

void premultiply(ImageView<std::uint8_t> rgba, ThreadPool& pool) {
    if (rgba.channels != 4) fail(ErrorKind::Processing, "premultiply: image must be RGBA");
    const int w = rgba.width;
    pool.parallel_rows(rgba.height, [&](int y0, int y1) {
        for (int y = y0; y < y1; ++y) {
            std::uint8_t* p = rgba.row(y);
            for (int x = 0; x < w; ++x) {
                const std::uint32_t a = p[4 * x + 3];
                for (int c = 0; c < 3; ++c) p[4 * x + c] = std::uint8_t(div255(p[4 * x + c] * a));
            }
        }
    });
}

}  // namespace keyswap::compose
