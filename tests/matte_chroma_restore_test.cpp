// Chroma rebuilt from luma on subsampled frames (matte/chroma_restore.hpp): thin strands over a
// screen get back the colour 4:2:0 and 4:2:2 took from them, frames without chroma edges and
// full-chroma frames are left alone, and the result does not depend on threads or frame size.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "keyer_scenes.hpp"
#include "keyswap/matte/chroma_restore.hpp"
#include "keyswap/matte/keyer.hpp"
#include "test_support.hpp"

using namespace keyswap;

namespace {

constexpr float kKr = 0.2126f, kKb = 0.0722f;  // BT.709
const ChromaSampling k420{2, 2, kKr, kKb}, k422{2, 1, kKr, kKb};

// What a camera's subsampling does: chroma (B-Y, R-Y) averaged over each block and repeated,
// luma kept per pixel, then back to RGB (float, no range quantisation).
ImageU8 subsample(const ImageU8& in, int bw, int bh) {
    const int w = in.width(), h = in.height();
    std::vector<float> Y(std::size_t(w) * h), U(Y.size()), V(Y.size());
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float r = in.at(x, y, 0), g = in.at(x, y, 1), b = in.at(x, y, 2);
            const std::size_t i = std::size_t(y) * w + x;
            Y[i] = kKr * r + (1 - kKr - kKb) * g + kKb * b;
            U[i] = b - Y[i], V[i] = r - Y[i];
        }
    ImageU8 out = in;
    for (int by = 0; by < h; by += bh)
        for (int bx = 0; bx < w; bx += bw) {
            float u = 0, v = 0, n = 0;
            for (int y = by; y < std::min(h, by + bh); ++y)
                for (int x = bx; x < std::min(w, bx + bw); ++x) u += U[std::size_t(y) * w + x], v += V[std::size_t(y) * w + x], ++n;
            u /= n, v /= n;
            for (int y = by; y < std::min(h, by + bh); ++y)
                for (int x = bx; x < std::min(w, bx + bw); ++x) {
                    const float l = Y[std::size_t(y) * w + x], r = v + l, b = u + l;
                    const float g = (l - kKr * r - kKb * b) / (1 - kKr - kKb);
                    const float c[3] = {r, g, b};
                    for (int k = 0; k < 3; ++k) out.at(x, y, k) = std::uint8_t(std::clamp(std::lround(c[k]), 0L, 255L));
                }
        }
    return out;
}

// A noisy green backdrop with one-pixel strands of colour `fg` at 85% over it (vertical,
// horizontal and diagonal, at every phase against the chroma blocks); `strand` marks them.
const float kDarkHair[3] = {70, 45, 30}, kEqualLuma[3] = {205, 125, 70};  // the second as bright as the screen
ImageU8 strands(int w, int h, const float* fg = kDarkHair, ImageU8* strand = nullptr) {
    ImageU8 img(w, h, 4, 255);
    if (strand) *strand = ImageU8(w, h, 1, 0);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> noise(-3, 3);
    const float bg[3] = {60, 172, 74};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const bool on = (x % 11 == 3 && y > 4) || (y % 13 == 6 && x > w / 2) || ((x + 2 * y) % 29 == 0 && x < w / 2);
            const float a = on ? 0.85f : 0.f;
            for (int c = 0; c < 3; ++c)
                img.at(x, y, c) = std::uint8_t(std::clamp(a * fg[c] + (1 - a) * bg[c] + float(noise(rng)), 0.f, 255.f));
            if (strand) strand->at(x, y) = on;
        }
    return img;
}

// Mean absolute error of the green-minus-mean-of-red-and-blue difference (what a green-screen
// key reads) against the truth, over pixels where `mask` is set (or all).
double key_difference_error(const ImageU8& img, const ImageU8& truth, const ImageU8* mask = nullptr) {
    double sum = 0, n = 0;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            if (mask && !mask->at(x, y)) continue;
            auto d = [&](const ImageU8& m) { return m.at(x, y, 1) - 0.5 * (m.at(x, y, 0) + m.at(x, y, 2)); };
            sum += std::fabs(d(img) - d(truth)), ++n;
        }
    return sum / std::max(1.0, n);
}

ImageU8 restored(ImageU8 img, const ChromaSampling& s, int threads = 2) {
    ThreadPool pool(threads);
    matte::ChromaRestorer r;
    r.apply(img, s, pool);
    return img;
}

}  // namespace

// Dark strands (hair) get most of their key difference back; strands as bright as the screen,
// whose chroma luma cannot predict, are no worse than decoded.
TEST(ChromaRestore, ThinStrandsGetTheirColourBackAt420And422) {
    for (const float* fg : {kDarkHair, kEqualLuma}) {
        const bool dark = fg == kDarkHair;
        ImageU8 mask;
        const ImageU8 truth = strands(192, 108, fg, &mask);
        for (const auto& [s, name] : {std::pair{k420, "4:2:0"}, std::pair{k422, "4:2:2"}}) {
            const ImageU8 sub = subsample(truth, s.block_w, s.block_h), fixed = restored(sub, s);
            const double before = key_difference_error(sub, truth, &mask), after = key_difference_error(fixed, truth, &mask);
            const double all_before = key_difference_error(sub, truth), all_after = key_difference_error(fixed, truth);
            std::printf("[%s, %s strands] strand key-difference error %.2f -> %.2f levels; whole frame %.2f -> %.2f\n", name,
                        dark ? "dark" : "equal-luma", before, after, all_before, all_after);
            EXPECT_LT(after, (dark ? 0.5 : 1.0) * before) << name;
            EXPECT_LT(all_after, all_before) << name;
        }
    }
}

TEST(ChromaRestore, FramesWithoutChromaEdgesAndFullChromaFramesAreLeftAlone) {
    // Smooth colour gradients: no window's chroma varies enough to be refitted.
    ImageU8 smooth(160, 90, 4, 255);
    for (int y = 0; y < 90; ++y)
        for (int x = 0; x < 160; ++x) {
            smooth.at(x, y, 0) = std::uint8_t(40 + x / 2), smooth.at(x, y, 1) = std::uint8_t(150 + y / 3);
            smooth.at(x, y, 2) = std::uint8_t(90 - x / 4 + y / 5);
        }
    ThreadPool pool(2);
    matte::ChromaRestorer r;
    ImageU8 img = smooth;
    r.apply(img, k420, pool);
    EXPECT_EQ(r.active_share(), 0.0);
    EXPECT_EQ(img.pixels(), smooth.pixels());
    // Full chroma: even a frame full of strands is untouched.
    const ImageU8 sharp = strands(96, 64);
    EXPECT_EQ(restored(sharp, ChromaSampling{}).pixels(), sharp.pixels());
}

TEST(ChromaRestore, AlphaIsKeptAndThreadsAndOddSizesChangeNothing) {
    for (const auto& [w, h] : {std::pair{1, 1}, std::pair{2, 2}, std::pair{3, 5}, std::pair{37, 23}, std::pair{38, 1},
                               std::pair{161, 97}}) {
        for (const ChromaSampling& s : {k420, k422}) {
            ImageU8 img = subsample(strands(w, h), s.block_w, s.block_h);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) img.at(x, y, 3) = std::uint8_t((x * 7 + y * 13) & 255);
            const ImageU8 one = restored(img, s, 1), two = restored(img, s, 2);
            EXPECT_EQ(one.pixels(), two.pixels()) << w << "x" << h;
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) ASSERT_EQ(two.at(x, y, 3), img.at(x, y, 3)) << w << "x" << h;
        }
    }
}

// The keyer rebuilds chroma when the frame says it was subsampled: the benchmark scenes (with
// simulated 4:2:0 chroma) key closer to the truth at the edges, hair most of all.
TEST(ChromaRestore, KeyerOnSubsampledFramesKeysCloserToTheTruth) {
    const std::string tex = test::asset("faces/astronaut.png").string();
    const scenes::SceneSpec specs[] = {scenes::green_scene(480, 270, tex), scenes::hair_scene(480, 270, tex),
                                       scenes::motion_scene(480, 270, tex)};
    for (const auto& spec : specs) {
        const auto sc = scenes::make_scene(spec);
        const scenes::Measure measure(sc);
        auto keyed = [&](bool flagged) {
            matte::Keyer keyer{matte::KeyerSettings{}};
            Frame f;
            f.rgba = sc.frame;
            if (flagged) f.chroma = k420;
            ImageF32 m;
            ThreadPool pool(2);
            keyer.process(f, m, pool);
            return measure(f.rgba);
        };
        const auto plain = keyed(false), rebuilt = keyed(true);
        std::printf("[%s] edge RMS %.2f -> %.2f, SAD %.3f -> %.3f\n", spec.name.c_str(), plain.edge_rms, rebuilt.edge_rms,
                    plain.sad, rebuilt.sad);
        EXPECT_LT(rebuilt.edge_rms, plain.edge_rms) << spec.name;
        EXPECT_LT(rebuilt.sad, 1.02 * plain.sad) << spec.name;
        if (spec.name == "hair") {
            EXPECT_LT(rebuilt.edge_rms, 0.95 * plain.edge_rms);
        }
    }
}
