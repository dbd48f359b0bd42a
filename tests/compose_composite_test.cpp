#include <gtest/gtest.h>

#include "keyswap/compose/composite.hpp"

using namespace keyswap;

namespace {
ImageU8 px(std::uint8_t r, std::uint8_t g, std::uint8_t b, std::uint8_t a, int w = 3, int h = 2) {
    ImageU8 img(w, h, 4);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) img.at(x, y, 0) = r, img.at(x, y, 1) = g, img.at(x, y, 2) = b, img.at(x, y, 3) = a;
    return img;
}
}  // namespace

TEST(Compose, OverIsStraightAlphaBlendWithOpaqueResult) {
    ThreadPool pool(2);
    ImageU8 fg = px(200, 100, 0, 128), bg = px(0, 0, 255, 255);
    compose::composite_over(fg.view(), bg.view(), fg.view(), {}, pool);  // in place
    EXPECT_EQ(fg.at(1, 1, 0), 100);  // round(200*128/255)
    EXPECT_EQ(fg.at(1, 1, 1), 50);
    EXPECT_EQ(fg.at(1, 1, 2), 127);  // round(255*127/255)
    EXPECT_EQ(fg.at(1, 1, 3), 255);
    ImageU8 opaque = px(9, 8, 7, 255), out(3, 2, 4);
    compose::composite_over_colour(opaque.view(), {1, 2, 3}, out.view(), pool);
    EXPECT_EQ(out.at(0, 0, 0), 9);
    ImageU8 clear = px(9, 8, 7, 0);
    compose::composite_over_colour(clear.view(), {1, 2, 3}, out.view(), pool);
    EXPECT_EQ(out.at(2, 1, 2), 3);
}

TEST(Compose, PremultiplyScalesColourByAlpha) {
    ThreadPool pool(1);
    ImageU8 img = px(255, 128, 10, 51);
    compose::premultiply(img.view(), pool);
    EXPECT_EQ(img.at(0, 0, 0), 51);
    EXPECT_EQ(img.at(0, 0, 1), 26);
    EXPECT_EQ(img.at(0, 0, 2), 2);
    EXPECT_EQ(img.at(0, 0, 3), 51);
}

TEST(Compose, LightWrapBrightensEdgesOnlyWhenEnabled) {
    ThreadPool pool(2);
    const int w = 40, h = 20;
    ImageU8 fg = px(20, 20, 20, 255, w, h), bg = px(250, 250, 250, 255, w, h);
    for (int y = 0; y < h; ++y)
        for (int x = 20; x < w; ++x) fg.at(x, y, 3) = 0;  // right half transparent
    ImageU8 plain(w, h, 4), wrapped(w, h, 4);
    compose::composite_over(fg.view(), bg.view(), plain.view(), {}, pool);
    compose::ComposeSettings s;
    s.light_wrap = true;
    s.wrap_radius = 4;
    s.wrap_strength = 1;
    compose::composite_over(fg.view(), bg.view(), wrapped.view(), s, pool);
    EXPECT_EQ(plain.at(19, 10, 0), 20);
    EXPECT_GT(wrapped.at(19, 10, 0), 60);  // edge picks up background light
    EXPECT_EQ(wrapped.at(2, 10, 0), 20);   // far inside: untouched
    EXPECT_EQ(wrapped.at(30, 10, 0), 250); // background: untouched
    EXPECT_THROW(compose::compose_params().set(s, "wrap-strength", "2"), Error);
}

// The fused pass composites in place (the output is the foreground's own buffer): the light
// wrap must read the foreground's alpha from before the composite overwrote it, or the new
// background is blurred wherever it shows.
TEST(Compose, LightWrapInPlaceLeavesTheBackgroundSharp) {
    ThreadPool pool(2);
    const int w = 40, h = 20;
    ImageU8 fg = px(20, 20, 20, 255, w, h), bg(w, h, 4);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            if (x >= 20) fg.at(x, y, 3) = 0;  // right half transparent
            for (int c = 0; c < 3; ++c) bg.at(x, y, c) = x % 2 ? 250 : 0;  // fine stripes a blur would grey
            bg.at(x, y, 3) = 255;
        }
    ImageU8 apart(w, h, 4);
    compose::ComposeSettings s;
    s.light_wrap = true;
    s.wrap_radius = 4;
    s.wrap_strength = 1;
    compose::composite_over(fg.view(), bg.view(), apart.view(), s, pool);
    compose::composite_over(fg.view(), bg.view(), fg.view(), s, pool);  // in place
    for (int x = 24; x < w; ++x) EXPECT_EQ(fg.at(x, 10, 0), bg.at(x, 10, 0)) << "background column " << x;
    for (int x = 0; x < w; ++x) EXPECT_EQ(fg.at(x, 10, 0), apart.at(x, 10, 0)) << "in place differs at column " << x;
}
