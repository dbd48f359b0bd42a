// The success paths of the commands besides process, and options that only show through the
// command line: faces (text, JSON, --draw), bench, demo, --light-wrap, --debug-matte, and an
// error thrown by a stage in the middle of a stream.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io_test_helpers.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/pipeline/stream.hpp"

namespace keyswap::test {
namespace {

// A subject block on a green backdrop, with a soft left edge (x in [w/3-4, w/3+4]).
fs::path green_still(const fs::path& dir, int w = 96, int h = 64) {
    Frame f;
    f.rgba = ImageU8(w, h, 4);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float a = y > h / 4 && x < 2 * w / 3 ? std::clamp((x - w / 3 + 4) / 8.0f, 0.0f, 1.0f) : 0.0f;
            f.rgba.at(x, y, 0) = static_cast<std::uint8_t>(30 + a * 90);
            f.rgba.at(x, y, 1) = static_cast<std::uint8_t>(200 - a * 90);
            f.rgba.at(x, y, 2) = static_cast<std::uint8_t>(40 + a * 60);
            f.rgba.at(x, y, 3) = 255;
        }
    const auto p = dir / "green.png";
    io::write_image(p, f);
    return p;
}

TEST(CliPaths, FacesListsDrawsAndPrintsJson) {
    if (!has_asset("faces/two_people.jpg")) GTEST_SKIP() << "needs ../shared/assets";
    const auto dir = scratch("cli_faces");
    const auto in = asset("faces/two_people.jpg");
    auto r = run_cli("faces --json --draw " + q(dir / "drawn.png") + " " + q(in));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["frames"].size(), 1u);
    const auto& faces = j["frames"][0]["faces"];
    ASSERT_EQ(faces.size(), 2u);
    for (const auto& f : faces) {
        EXPECT_EQ(f["landmarks"].size(), 68u);
        EXPECT_GT(f["box"][2].get<int>(), 20);
        // The fitted head pose: two people facing the camera, near upright.
        EXPECT_LT(std::abs(f["pose"]["yaw"].get<double>()), 35.0);
        EXPECT_LT(std::abs(f["pose"]["roll"].get<double>()), 30.0);
    }
    const Frame drawn = io::read_image(dir / "drawn.png"), original = io::read_image(in);
    ASSERT_EQ(drawn.rgba.width(), original.rgba.width());
    EXPECT_GT(max_diff(drawn.rgba, original.rgba), 100) << "nothing drawn";
    r = run_cli("faces --detect-every 2 --frames 0 " + q(in));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;  // one line per face
    EXPECT_NE(r.out.find("face id"), std::string::npos);
    EXPECT_NE(r.out.find("yaw "), std::string::npos);
}

TEST(CliPaths, BenchTimesThePassAndReportsJson) {
    if (!has_asset("faces/astronaut.png")) GTEST_SKIP() << "needs ../shared/assets";
    const auto r = run_cli("bench --json --size 96x64 --frames 2 --stages key --portrait " + q(asset("faces/astronaut.png")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["results"].size(), 1u);
    EXPECT_EQ(j["results"][0]["size"], "96x64");
    EXPECT_GT(j["results"][0]["fps"].get<double>(), 0.0);
    EXPECT_TRUE(j["results"][0]["stage_ms_per_frame"].contains("key.matte")) << j.dump();
}

TEST(CliPaths, DemoWritesItsClip) {
    if (!has_asset("faces/astronaut.png")) GTEST_SKIP() << "needs ../shared/assets";
    const auto dir = scratch("cli_demo");
    fs::create_directories(dir / "cache" / "demo" / "skimage");
    fs::copy_file(asset("faces/astronaut.png"), dir / "cache" / "demo" / "skimage" / "astronaut.png");
    const auto r = run_cli("demo --frames 3 --cache " + q(dir / "cache") + " --out " + q(dir / "out"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto clip = dir / "out" / "green-screen-scene.mp4";
    EXPECT_NE(r.out.find(clip.string()), std::string::npos) << r.out;
    const auto frames = read_all(clip);
    ASSERT_EQ(frames.size(), 3u);
    // A green screen: the corner is green.
    const auto& f = frames[0].rgba;
    EXPECT_GT(f.at(2, 2, 1), f.at(2, 2, 0) + 60);
}

TEST(CliPaths, LightWrapBrightensTheSubjectsEdgeOverABrightBackground) {
    const auto dir = scratch("cli_wrap");
    const auto in = green_still(dir);
    const std::string base = "process -q -i " + q(in) + " --key green --background '#FFFFFF' -o ";
    ASSERT_EQ(run_cli(base + q(dir / "plain.png")).exit_code, 0);
    const auto r = run_cli(base + q(dir / "wrap.png") + " --light-wrap --wrap-strength 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const ImageU8 plain = io::read_image(dir / "plain.png").rgba, wrap = io::read_image(dir / "wrap.png").rgba;
    // Just inside the subject's edge, the white background's light shows on the subject.
    const int x = 96 / 3 + 6, y = 40;
    EXPECT_GT(wrap.at(x, y, 0) + wrap.at(x, y, 1) + wrap.at(x, y, 2), plain.at(x, y, 0) + plain.at(x, y, 1) + plain.at(x, y, 2) + 15);
    // On the backdrop (fully keyed out) both show the background alone.
    EXPECT_EQ(wrap.at(90, 5, 0), plain.at(90, 5, 0));
}

TEST(CliPaths, DebugMatteIsTheOutputsAlpha) {
    const auto dir = scratch("cli_matte");
    const auto in = green_still(dir);
    const auto r = run_cli("process -q -i " + q(in) + " -o " + q(dir / "out.png") + " --key green --debug-matte " + q(dir / "matte.png"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const ImageU8 out = io::read_image(dir / "out.png").rgba, matte = io::read_image(dir / "matte.png").rgba;
    ASSERT_EQ(matte.width(), out.width());
    int worst = 0;
    for (int y = 0; y < out.height(); ++y)
        for (int x = 0; x < out.width(); ++x) worst = std::max(worst, std::abs(matte.at(x, y, 0) - out.at(x, y, 3)));
    EXPECT_LE(worst, 1);
    EXPECT_EQ(out.at(2, 2, 3), 0);      // backdrop
    EXPECT_EQ(out.at(50, 50, 3), 255);  // subject
}

TEST(StreamErrors, AStageErrorMidStreamNamesTheFrameAndLeavesNoOutput) {
    const auto dir = scratch("stream_error");
    for (int i = 0; i < 6; ++i) io::write_image(dir / ("in_" + std::to_string(i) + ".png"), synthetic_frame(32, 24, i));
    pipeline::StreamJob job;
    job.input = dir / "in_%d.png";
    job.output = dir / "out.mkv";
    pipeline::FrameWork work;
    int seen = 0;
    work.process = [&](Frame& f) {
        if (f.index == 3) fail(ErrorKind::Processing, "stage broke");
        ++seen;
    };
    try {
        pipeline::run_stream(job, work);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Processing);
        EXPECT_NE(std::string(e.what()).find("stage broke (frame 3)"), std::string::npos) << e.what();
        EXPECT_EQ(e.path(), job.input.string());
    }
    EXPECT_EQ(seen, 3);
    expect_no_output(job.output);
}

}  // namespace
}  // namespace keyswap::test
