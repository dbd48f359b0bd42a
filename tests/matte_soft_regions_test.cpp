// The keyer on semi-transparent regions, fine hair and motion blur (issue 10), against exact
// ground truth (keyer_scenes.hpp) at 480x270 with simulated 4:2:0 chroma.
#include <gtest/gtest.h>

#include <cmath>

#include "keyer_scenes.hpp"
#include "keyswap/matte/keyer.hpp"
#include "test_support.hpp"

using namespace keyswap;

namespace {

constexpr int kW = 480, kH = 270;

std::string texture() { return test::asset("faces/astronaut.png").string(); }

ImageU8 key(const scenes::Scene& sc, const matte::KeyerSettings& s = {}) {
    matte::Keyer keyer(s);
    Frame f;
    f.rgba = sc.frame;
    ImageF32 m;
    ThreadPool pool(2);
    keyer.process(f, m, pool);
    return std::move(f.rgba);
}

matte::KeyerSettings global_black() {
    matte::KeyerSettings s;
    s.local_black = false;
    return s;
}

// Mean alpha and mean premultiplied colour (alpha x colour: what the region adds to a new
// background, i.e. its composite over black) over a panel's interior.
struct RegionMean {
    double alpha = 0;
    double rgb[3] = {};
};
RegionMean region_mean(const ImageU8& rgba, const scenes::Panel& p) {
    const int inset = 6;
    const int x0 = int(p.x0 * kW) + inset, x1 = int(p.x1 * kW) - inset;
    const int y0 = int(p.y0 * kH) + inset, y1 = int(p.y1 * kH) - inset;
    RegionMean m;
    double n = 0, pre[3] = {};
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
            const double a = rgba.at(x, y, 3) / 255.0;
            m.alpha += a;
            for (int c = 0; c < 3; ++c) pre[c] += a * rgba.at(x, y, c);
            ++n;
        }
    for (int c = 0; c < 3; ++c) m.rgb[c] = pre[c] / n;
    m.alpha /= n;
    return m;
}

}  // namespace

// The near-neutral panels of the fabric scene (a 20% chiffon and a 30% glass pane standing apart
// from the body): their alpha stays within 0.1 of the truth and the colour they lend a new
// background within a few levels. Before issue 10 the screen estimate took the chiffon for
// backdrop and keyed it out entirely (alpha ~0.01, docs/bench-keyer.md); a global clip-black
// point still thins it.
TEST(SoftRegions, FaintPanelsKeepTheirAlphaAndColour) {
    const auto sc = scenes::make_scene(scenes::fabric_scene(kW, kH, texture()));
    const auto keyed = key(sc);
    const auto before = key(sc, global_black());
    for (int i : {0, 5}) {
        const auto& p = scenes::fabric_panels()[i];
        const RegionMean truth = region_mean(sc.fg, p), ours = region_mean(keyed, p), old = region_mean(before, p);
        std::printf("[%s] alpha truth %.3f keyswap %.3f (global black %.3f); premultiplied colour truth %.1f %.1f %.1f keyswap %.1f %.1f %.1f\n",
                    p.name, truth.alpha, ours.alpha, old.alpha, truth.rgb[0], truth.rgb[1], truth.rgb[2], ours.rgb[0],
                    ours.rgb[1], ours.rgb[2]);
        EXPECT_NEAR(ours.alpha, truth.alpha, 0.1) << p.name;
        for (int c = 0; c < 3; ++c) EXPECT_NEAR(ours.rgb[c], truth.rgb[c], 6.0) << p.name << " channel " << c;
        EXPECT_LT(std::fabs(ours.alpha - truth.alpha), std::fabs(old.alpha - truth.alpha)) << p.name;
    }
}

// {SAD, edge composite RMS} limits per soft-region scene: between what the keyer before issue 10
// reached here (fabric 7.99 / 23.93, hair 1.26 / 22.49, motion 1.93 / 10.54; it fails every one)
// and what it reached then (5.82 / 22.11, 0.92 / 21.00, 1.50 / 9.95). The motion scene's edge band
// was later corrected (its truth carried the DFT's rounding noise over the whole backdrop, which
// made most of it "soft" and diluted the RMS): with the true band today's keyer gives 18.70, and
// the limit keeps the margin the old keyer's ratio to it had (10.54 / 9.95 = 1.06: 19.8).
struct SoftLimit {
    double sad, edge_rms;
};

class SoftSceneQuality : public ::testing::TestWithParam<int> {};

TEST_P(SoftSceneQuality, DefaultsKeyWithinErrorLimits) {
    const scenes::SceneSpec specs[] = {scenes::fabric_scene(kW, kH, texture()), scenes::hair_scene(kW, kH, texture()),
                                       scenes::motion_scene(kW, kH, texture())};
    const SoftLimit limits[] = {{6.5, 23.0}, {1.1, 21.8}, {1.7, 19.4}};
    const auto& spec = specs[GetParam()];
    const auto sc = scenes::make_scene(spec);
    const scenes::Measure measure(sc);
    const auto e = measure(key(sc)), old = measure(key(sc, global_black()));
    std::printf("[%s] SAD %.3f (global black %.3f)  edge RMS %.2f (global black %.2f)\n", spec.name.c_str(), e.sad,
                old.sad, e.edge_rms, old.edge_rms);
    EXPECT_LT(e.sad, limits[GetParam()].sad);
    EXPECT_LT(e.edge_rms, limits[GetParam()].edge_rms);
}

INSTANTIATE_TEST_SUITE_P(Scenes, SoftSceneQuality, ::testing::Values(0, 1, 2));
