// The fused pass: one matte decides where the swapped face may land, and the output keeps
// the keyer's alpha exactly. Scenes are built from real face photos composited on a green
// screen with a known soft alpha.
#include <gtest/gtest.h>

#include <cmath>

#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/pipeline/background.hpp"
#include "keyswap/pipeline/frame_pass.hpp"
#include "test_support.hpp"

using namespace keyswap;
namespace fs = std::filesystem;

namespace {

constexpr std::uint8_t kGreen[3] = {30, 170, 60};

// The photo inside a soft ellipse (head and shoulders) over an even green screen.
Frame green_screen_scene(const std::string& photo, ImageF32* true_alpha = nullptr) {
    const Frame src = io::read_image(test::asset(photo));
    const int w = src.rgba.width(), h = src.rgba.height();
    Frame f;
    f.rgba.reshape(w, h, 4);
    if (true_alpha) true_alpha->reshape(w, h, 1);
    const double cx = w * 0.5, cy = h * 0.55, rx = w * 0.42, ry = h * 0.6;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const double d = std::hypot((x - cx) / rx, (y - cy) / ry);
            const float a = static_cast<float>(std::clamp((1.0 - d) * 40.0, 0.0, 1.0));  // ~6 px soft edge
            for (int c = 0; c < 3; ++c)
                f.rgba.at(x, y, c) = static_cast<std::uint8_t>(std::lround(src.rgba.at(x, y, c) * a + kGreen[c] * (1 - a)));
            f.rgba.at(x, y, 3) = 255;
            if (true_alpha) true_alpha->at(x, y) = a;
        }
    return f;
}

pipeline::PassConfig key_and_swap(const std::string& source) {
    pipeline::PassConfig c;
    c.keyer = matte::KeyerSettings{};
    face::FaceSettings fs;
    fs.source = {test::asset(source).string()};
    c.face = fs;
    return c;
}

int max_abs_diff_rgb(const ImageU8& a, const ImageU8& b, int x, int y) {
    int m = 0;
    for (int c = 0; c < 3; ++c) m = std::max(m, std::abs(int(a.at(x, y, c)) - int(b.at(x, y, c))));
    return m;
}

}  // namespace

TEST(FusedPass, AlphaIsTheKeyersAndTheSwapStaysInsideTheMatte) {
    if (!test::has_asset("faces/obama.jpg")) GTEST_SKIP() << "needs ../shared/assets";
    const Frame scene = green_screen_scene("faces/obama.jpg");

    // Keyer alone.
    pipeline::PassConfig key_only;
    key_only.keyer = matte::KeyerSettings{};
    pipeline::FramePass keyed_pass(key_only, ThreadPool::shared());
    Frame keyed = scene;
    keyed_pass.process(keyed);

    // Key and swap in one pass.
    pipeline::FramePass fused_pass(key_and_swap("faces/biden.jpg"), ThreadPool::shared());
    Frame fused = scene;
    fused_pass.process(fused);
    ASSERT_EQ(fused_pass.summary().faces_swapped, 1);

    const int w = scene.rgba.width(), h = scene.rgba.height();
    long changed = 0, outside_changed = 0, green_edge = 0, soft_changed = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int a = keyed.rgba.at(x, y, 3);
            // The output's alpha is exactly the keyer's.
            ASSERT_EQ(fused.rgba.at(x, y, 3), a) << "at " << x << "," << y;
            const int d = max_abs_diff_rgb(fused.rgba, keyed.rgba, x, y);
            if (d == 0) continue;
            ++changed;
            if (a == 0) ++outside_changed;
            if (a < 255) ++soft_changed;
            // A swapped pixel carries no screen green: G no higher than the larger of R and B (+ noise).
            const int r = fused.rgba.at(x, y, 0), g = fused.rgba.at(x, y, 1), b = fused.rgba.at(x, y, 2);
            if (a > 0 && g > std::max(r, b) + 12) ++green_edge;
        }
    EXPECT_GT(changed, 2000) << "the swap changed too little to be a face";
    EXPECT_EQ(outside_changed, 0) << "swapped pixels landed on keyed-out backdrop";
    EXPECT_LT(green_edge, changed / 200) << "swapped pixels with a green cast";
    // The face lies well inside the subject: swapped pixels sit where the matte is solid. Many
    // changes on the soft edge would be the swap's area leaking past the face onto the
    // outline, seen as a halo.
    EXPECT_LE(soft_changed, changed / 20) << "of " << changed << " changed pixels, " << soft_changed << " on the soft edge";
}

TEST(FusedPass, ZeroMatteRegionIsNeverSwappedEvenOverTheFace) {
    if (!test::has_asset("faces/obama.jpg")) GTEST_SKIP() << "needs ../shared/assets";
    // Garbage-matte the left half of the frame: the face there must stay as the keyer left it.
    const Frame scene = green_screen_scene("faces/obama.jpg");
    const int w = scene.rgba.width(), h = scene.rgba.height();
    auto cfg = key_and_swap("faces/biden.jpg");
    cfg.keyer->garbage = {"0,0," + std::to_string(w / 2) + "," + std::to_string(h)};
    pipeline::FramePass pass(cfg, ThreadPool::shared());
    Frame out = scene;
    pass.process(out);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w / 2; ++x) ASSERT_EQ(out.rgba.at(x, y, 3), 0);
    long right_changed = 0;
    pipeline::PassConfig key_only;
    key_only.keyer = cfg.keyer;
    pipeline::FramePass keyed_pass(key_only, ThreadPool::shared());
    Frame keyed = scene;
    keyed_pass.process(keyed);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int d = max_abs_diff_rgb(out.rgba, keyed.rgba, x, y);
            if (x < w / 2) ASSERT_EQ(d, 0) << "swap leaked into the garbage-matted half at " << x << "," << y;
            else right_changed += d > 0;
        }
    EXPECT_GT(right_changed, 500) << "the visible half of the face should still be swapped";
}

TEST(FusedPass, SwapOnlyKeepsAnInputsOwnAlpha) {
    if (!test::has_asset("faces/obama.jpg")) GTEST_SKIP() << "needs ../shared/assets";
    ImageF32 alpha;
    Frame scene = green_screen_scene("faces/obama.jpg", &alpha);
    // A transparent input, as an earlier keyed run writes it.
    for (int y = 0; y < scene.rgba.height(); ++y)
        for (int x = 0; x < scene.rgba.width(); ++x)
            scene.rgba.at(x, y, 3) = static_cast<std::uint8_t>(std::lround(alpha.at(x, y) * 255));
    scene.has_alpha = true;
    pipeline::PassConfig cfg = key_and_swap("faces/biden.jpg");
    cfg.keyer.reset();
    pipeline::FramePass pass(cfg, ThreadPool::shared());
    Frame out = scene;
    pass.process(out);
    EXPECT_EQ(pass.summary().faces_swapped, 1);
    long changed = 0;
    for (int y = 0; y < scene.rgba.height(); ++y)
        for (int x = 0; x < scene.rgba.width(); ++x) {
            ASSERT_EQ(out.rgba.at(x, y, 3), scene.rgba.at(x, y, 3));
            const int d = max_abs_diff_rgb(out.rgba, scene.rgba, x, y);
            if (scene.rgba.at(x, y, 3) == 0) {
                ASSERT_EQ(d, 0);
            }
            changed += d > 0;
        }
    EXPECT_GT(changed, 2000);
}

TEST(FusedPass, CompositesOverABackgroundOfAnotherAspect) {
    if (!test::has_asset("faces/obama.jpg")) GTEST_SKIP() << "needs ../shared/assets";
    const Frame scene = green_screen_scene("faces/obama.jpg");
    const auto dir = test::scratch("fused-bg");
    // A 40x10 red-left/blue-right background: cover-scaled and centre-cropped to the frame.
    Frame bg;
    bg.rgba.reshape(40, 10, 4);
    for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 40; ++x) {
            bg.rgba.at(x, y, 0) = x < 20 ? 255 : 0;
            bg.rgba.at(x, y, 2) = x < 20 ? 0 : 255;
            bg.rgba.at(x, y, 3) = 255;
        }
    io::write_image(dir / "bg.png", bg);
    pipeline::PassConfig cfg;
    cfg.keyer = matte::KeyerSettings{};
    cfg.options.background = (dir / "bg.png").string();
    pipeline::FramePass pass(cfg, ThreadPool::shared());
    Frame out = scene;
    pass.process(out);
    const int w = out.rgba.width(), h = out.rgba.height();
    ASSERT_EQ(w, scene.rgba.width());
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) ASSERT_EQ(out.rgba.at(x, y, 3), 255);
    // The top corners are backdrop: they show the background's halves.
    EXPECT_GT(out.rgba.at(2, 2, 0), 200);
    EXPECT_LT(out.rgba.at(2, 2, 2), 40);
    EXPECT_GT(out.rgba.at(w - 3, 2, 2), 200);
    EXPECT_LT(out.rgba.at(w - 3, 2, 0), 40);
}

TEST(FusedPass, TransparentResultToAFormatWithoutAlphaIsAClearError) {
    pipeline::PassConfig cfg;
    cfg.keyer = matte::KeyerSettings{};
    pipeline::FramePass pass(cfg, ThreadPool::shared());
    io::MediaInfo in;
    const auto mp4 = io::choose_output_format("out.mp4", {});
    try {
        pass.start(in, mp4);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
        EXPECT_NE(std::string(e.what()).find("--background"), std::string::npos);
    }
    EXPECT_NO_THROW(pass.start(in, io::choose_output_format("out.webm", {})));
}

TEST(FusedPass, PremultipliedOutputNeverHasColourAboveAlpha) {
    if (!test::has_asset("faces/obama.jpg")) GTEST_SKIP() << "needs ../shared/assets";
    const Frame scene = green_screen_scene("faces/obama.jpg");
    pipeline::PassConfig cfg;
    cfg.keyer = matte::KeyerSettings{};
    cfg.options.alpha = pipeline::AlphaMode::Premultiplied;
    pipeline::FramePass pass(cfg, ThreadPool::shared());
    Frame out = scene;
    pass.process(out);
    // The same key written straight: premultiplied colour is exactly straight colour * A.
    pipeline::PassConfig straight_cfg = cfg;
    straight_cfg.options.alpha = pipeline::AlphaMode::Straight;
    pipeline::FramePass straight_pass(straight_cfg, ThreadPool::shared());
    Frame straight = scene;
    straight_pass.process(straight);
    long soft = 0;
    for (int y = 0; y < out.rgba.height(); ++y)
        for (int x = 0; x < out.rgba.width(); ++x) {
            const int a = straight.rgba.at(x, y, 3);
            ASSERT_EQ(out.rgba.at(x, y, 3), a);
            soft += a > 0 && a < 255;
            for (int c = 0; c < 3; ++c) {
                ASSERT_LE(out.rgba.at(x, y, c), a);
                ASSERT_NEAR(out.rgba.at(x, y, c), std::lround(straight.rgba.at(x, y, c) * a / 255.0), 1) << x << "," << y;
            }
        }
    EXPECT_GT(soft, 100) << "no soft edge: the premultiplication was not exercised";
}

TEST(Background, ShortVideoLoopsOrHolds) {
    const auto dir = test::scratch("bg-video");
    io::VideoParams vp;
    vp.width = 16;
    vp.height = 16;
    {
        io::MediaWriter w(dir / "bg.mkv", vp);
        for (int i = 0; i < 3; ++i) {
            Frame f;
            f.rgba = ImageU8(16, 16, 4, 255);
            for (int y = 0; y < 16; ++y)
                for (int x = 0; x < 16; ++x) f.rgba.at(x, y, 0) = static_cast<std::uint8_t>(50 * (i + 1));
            f.pts = i;
            w.write(f);
        }
        w.finish();
    }
    const int loop_expect[] = {50, 100, 150, 50, 100};
    const int hold_expect[] = {50, 100, 150, 150, 150};
    pipeline::Background loop((dir / "bg.mkv").string(), pipeline::BackgroundFit::Cover, pipeline::BackgroundEnd::Loop);
    pipeline::Background hold((dir / "bg.mkv").string(), pipeline::BackgroundFit::Cover, pipeline::BackgroundEnd::Hold);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(loop.next(32, 8).at(16, 4, 0), loop_expect[i]) << "loop frame " << i;
        EXPECT_EQ(hold.next(32, 8).at(16, 4, 0), hold_expect[i]) << "hold frame " << i;
    }
}

TEST(FusedPass, BackgroundWithoutKeyUsesTheInputsOwnAlpha) {
    // A transparent input from an earlier run: left half clear, right half opaque red.
    Frame in;
    in.rgba.reshape(32, 8, 4);
    for (int y = 0; y < 8; ++y)
        for (int x = 0; x < 32; ++x) {
            in.rgba.at(x, y, 0) = 255;
            in.rgba.at(x, y, 3) = x < 16 ? 0 : 255;
        }
    in.has_alpha = true;
    pipeline::PassConfig cfg;
    cfg.options.background = "#0000FF";
    pipeline::FramePass pass(cfg, ThreadPool::shared());
    pass.process(in);
    EXPECT_EQ(in.rgba.at(4, 4, 0), 0);
    EXPECT_EQ(in.rgba.at(4, 4, 2), 255);
    EXPECT_EQ(in.rgba.at(24, 4, 0), 255);
    EXPECT_EQ(in.rgba.at(24, 4, 2), 0);
    EXPECT_EQ(in.rgba.at(4, 4, 3), 255);
}
