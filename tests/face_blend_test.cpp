// The two blend modes must agree on what the swapped face looks like: Poisson may shift the
// face's colour as a whole to meet the border, but must not carry a dark or bright band into it.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "face_test_util.hpp"
#include "keyswap/face/face_swapper.hpp"

namespace keyswap::test {
namespace {

Frame swapped(face::BlendMode blend) {
    face::FaceSettings s;
    s.blend = blend;
    s.feather = 0.3;  // a wide ramp: the comparison is of the two blends' insides, not of the edge
    const std::vector<face::SourceImage> src{{"biden.jpg", load_rgba("faces/biden.jpg")}};
    face::FaceSwapper swapper(s, src);
    Frame f = load_frame("faces/obama.jpg");
    EXPECT_EQ(swapper.process(f, nullptr, ThreadPool::shared()).swapped, 1);
    return f;
}

TEST(FaceBlend, PoissonAgreesWithTheFeatheredBlendInsideTheFace) {
    if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << "needs ../shared/assets";
    const Frame original = load_frame("faces/obama.jpg");
    const Frame feather = swapped(face::BlendMode::Feather);
    const Frame poisson = swapped(face::BlendMode::Poisson);
    // Per 16x16 block of the face (where either blend changed the picture), the mean colour
    // difference between the two blends: a band shows up as blocks far apart.
    const int w = original.rgba.width(), h = original.rgba.height(), B = 16;
    std::vector<double> block_diffs;
    for (int by = 0; by + B <= h; by += B)
        for (int bx = 0; bx + B <= w; bx += B) {
            double sum = 0;
            int changed = 0;
            for (int y = by; y < by + B; ++y)
                for (int x = bx; x < bx + B; ++x) {
                    int d_orig = 0;
                    for (int c = 0; c < 3; ++c) d_orig += std::abs(feather.rgba.at(x, y, c) - original.rgba.at(x, y, c));
                    if (d_orig == 0) continue;
                    ++changed;
                    for (int c = 0; c < 3; ++c) sum += poisson.rgba.at(x, y, c) - feather.rgba.at(x, y, c);
                }
            if (changed == B * B) block_diffs.push_back(sum / (3.0 * changed));
        }
    ASSERT_GT(block_diffs.size(), 50u) << "the swap covered too few blocks to compare";
    std::sort(block_diffs.begin(), block_diffs.end());
    // (Measured: 21 levels with the eroded clone area, 57 with the dark band it fixed.)
    // A uniform offset is what Poisson is for (it takes the border's colour); a band is a part
    // of the face that moves away from the rest, i.e. a wide spread of the block differences.
    const double lo = block_diffs[block_diffs.size() * 2 / 100], hi = block_diffs[block_diffs.size() * 98 / 100];
    std::printf("Poisson vs feathered, per 16x16 block: %.1f to %.1f levels (spread %.1f)\n", lo, hi, hi - lo);
    EXPECT_LT(hi - lo, 30.0) << "blocks of the Poisson face differ from the feathered one by " << lo << " to " << hi
                             << " levels: a band";
}

}  // namespace
}  // namespace keyswap::test
