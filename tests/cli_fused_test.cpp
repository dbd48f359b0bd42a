// The main job as a user runs it: key, swap and composite on the real green-screen clip in
// one command, transparent outputs, and the clear errors around them.
#include <gtest/gtest.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "io_test_helpers.hpp"
#include "keyswap/io/media_writer.hpp"

namespace keyswap::test {
namespace {

class FusedCli : public ::testing::Test {
protected:
    void SetUp() override {
        if (!has_asset(kClip) || !has_asset("faces/biden.jpg")) GTEST_SKIP() << "missing assets";
        clip = asset(kClip);
        face = asset("faces/biden.jpg");
    }
    fs::path clip, face;
};

TEST_F(FusedCli, KeySwapAndCompositeInOneRunKeepsAudioAndFrames) {
    const auto out = scratch("fused-cli") / "out.mp4";
    const auto r = run_cli("process -i " + q(clip) + " -o " + q(out) +
                           " --frames 100-129 --key auto --source " + q(face) + " --background '#203060'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The man in this clip is a backlit silhouette: there is no face to find, and the run
    // says so rather than claiming a swap (the next test swaps a visible face).
    EXPECT_NE(r.err.find("faces swapped in 0 of 30 frames (30 without a face"), std::string::npos) << r.err;
    const auto info = nlohmann::json::parse(run_cli("probe --json --count " + q(out)).out);
    EXPECT_EQ(info["frames"], 30);
    EXPECT_EQ(info["audio"], true);
    // Backdrop pixels show the new background, not green.
    const auto frames = read_all(out);
    ASSERT_FALSE(frames.empty());
    const auto& f = frames.front().rgba;
    EXPECT_NEAR(f.at(20, 20, 0), 0x20, 12);
    EXPECT_NEAR(f.at(20, 20, 1), 0x30, 12);
    EXPECT_NEAR(f.at(20, 20, 2), 0x60, 12);
}

// Key, swap and composite where there is a face: the demo's generated green-screen scene.
TEST_F(FusedCli, KeySwapAndCompositeSwapsTheVisibleFace) {
    if (!has_asset("faces/astronaut.png")) GTEST_SKIP() << "missing assets";
    const auto dir = scratch("fused-cli-face");
    fs::create_directories(dir / "cache" / "demo" / "skimage");
    fs::copy_file(asset("faces/astronaut.png"), dir / "cache" / "demo" / "skimage" / "astronaut.png");
    ASSERT_EQ(run_cli("demo --frames 8 --cache " + q(dir / "cache") + " --out " + q(dir)).exit_code, 0);
    const auto scene = dir / "green-screen-scene.mp4", out = dir / "out.mp4";
    const auto r = run_cli("process -i " + q(scene) + " -o " + q(out) + " --key auto --source " + q(face) +
                           " --background '#203060'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.err, m, std::regex("faces swapped in ([0-9]+) of 8 frames"))) << r.err;
    EXPECT_EQ(std::stoi(m[1]), 8) << r.err;
    // And the swap shows: the output differs from a key + composite without it, in the face.
    const auto plain = dir / "plain.mp4";
    ASSERT_EQ(run_cli("process -q -i " + q(scene) + " -o " + q(plain) + " --key auto --background '#203060'").exit_code, 0);
    const auto a = read_all(out), b = read_all(plain);
    ASSERT_EQ(a.size(), 8u);
    ASSERT_EQ(b.size(), 8u);
    long differ = 0;
    for (int y = 0; y < a[4].rgba.height(); ++y)
        for (int x = 0; x < a[4].rgba.width(); ++x) differ += std::abs(a[4].rgba.at(x, y, 0) - b[4].rgba.at(x, y, 0)) > 24;
    EXPECT_GT(differ, 1500) << "the swapped face is not in the output";
    EXPECT_LT(differ, a[4].rgba.width() * a[4].rgba.height() / 8) << "more than a face changed";
}

TEST_F(FusedCli, TransparentOutputCarriesTheMatte) {
    const auto out = scratch("fused-cli-alpha") / "out.mkv";
    const auto r = run_cli("process -q -i " + q(clip) + " -o " + q(out) + " --frames 100-104 --key auto");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto frames = read_all(out);
    ASSERT_EQ(frames.size(), 5u);
    const auto& f = frames.front().rgba;
    // A corner is green backdrop (transparent); the subject's body centre is opaque.
    EXPECT_EQ(f.at(10, 10, 3), 0);
    EXPECT_EQ(f.at(550, 400, 3), 255);
}

TEST_F(FusedCli, TransparentResultIntoAFormatWithoutAlphaIsAUsageError) {
    const auto out = scratch("fused-cli-noalpha") / "out.mp4";
    const auto r = run_cli("process -q -i " + q(clip) + " -o " + q(out) + " --frames 0-4 --key auto");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no alpha channel"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--background"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
}

TEST_F(FusedCli, SourceWithoutAFaceIsAClearError) {
    const auto dir = scratch("fused-cli-noface");
    const auto flat = dir / "flat.png";
    io::write_image(flat, synthetic_frame(64, 64, 0));
    const auto out = dir / "out.webm";
    const auto r = run_cli("process -q -i " + q(clip) + " -o " + q(out) + " --frames 0-4 --source " + q(flat));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("flat.png"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace keyswap::test
