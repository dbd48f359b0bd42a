// Bad input as users meet it, beyond the basics in cli_errors_test.cpp: each case must end
// with the right exit code and one line naming the file and the problem, and must leave
// every input byte for byte as it was and no output behind.
#include <gtest/gtest.h>

#include "io_test_helpers.hpp"
#include "keyswap/io/media_writer.hpp"

namespace keyswap::test {
namespace {

class BadInput : public ::testing::Test {
protected:
    void SetUp() override { dir = scratch(::testing::UnitTest::GetInstance()->current_test_info()->name()); }

    fs::path png(const std::string& name, int w = 32, int h = 32) {
        const auto p = dir / name;
        io::write_image(p, synthetic_frame(w, h, 0));
        return p;
    }

    // A small green-screen still: a grey block on a green backdrop.
    fs::path green_screen(const std::string& name, int w = 64, int h = 48) {
        Frame f;
        f.rgba = ImageU8(w, h, 4);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const bool fg = x > w / 3 && x < 2 * w / 3 && y > h / 4;
                f.rgba.at(x, y, 0) = fg ? 120 : 30;
                f.rgba.at(x, y, 1) = fg ? 110 : 200;
                f.rgba.at(x, y, 2) = fg ? 100 : 40;
                f.rgba.at(x, y, 3) = 255;
            }
        const auto p = dir / name;
        io::write_image(p, f);
        return p;
    }

    fs::path dir;
};

// Every file a run reads is an input, not only -i: the output must never replace a
// background, a source photo or a mask, and the debug matte must never replace any of them.
TEST_F(BadInput, OutputNamesAnotherInputFile) {
    const auto in = green_screen("in.png");
    const auto bg = png("bg.png");
    const std::string before = read_bytes(bg);
    auto r = run_cli("process -q -i " + q(in) + " -o " + q(bg) + " --key auto --background " + q(bg));
    expect_error(r, 2, bg.string(), "would overwrite the input");
    EXPECT_EQ(read_bytes(bg), before) << "the background was overwritten";

    const auto mask = png("mask.png", 64, 48);
    const std::string mask_before = read_bytes(mask);
    r = run_cli("process -q -i " + q(in) + " -o " + q(dir / "." / "mask.png") + " --key auto --garbage-mask " + q(mask));
    expect_error(r, 2, "mask.png", "would overwrite the input");
    EXPECT_EQ(read_bytes(mask), mask_before) << "the garbage mask was overwritten";
}

TEST_F(BadInput, DebugMatteNamesTheInputOrTheOutput) {
    const auto in = green_screen("in.png");
    const std::string before = read_bytes(in);
    const auto out = dir / "out.png";
    auto r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key auto --debug-matte " + q(in));
    expect_error(r, 2, in.string(), "would overwrite the input");
    EXPECT_EQ(read_bytes(in), before) << "the input was overwritten by the matte";
    expect_no_output(out);

    r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key auto --debug-matte " + q(out));
    expect_error(r, 2, out.string(), "same file as the output");
    expect_no_output(out);

    // Checked before the first frame, not when the matte is written.
    const auto lost = dir / "no" / "such" / "matte.png";
    r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key auto --debug-matte " + q(lost));
    expect_error(r, 1, lost.string(), "output folder does not exist");
    expect_no_output(out);

    r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key auto --debug-matte " + q(dir / "matte.mp4"));
    expect_error(r, 2, "matte.mp4", "--debug-matte writes images");
    expect_no_output(out);
}

// An image sequence written over itself (same pattern, or a pattern one input file fits).
TEST_F(BadInput, SequenceOutputOverTheInputSequence) {
    for (int i = 1; i <= 2; ++i) png("f_000" + std::to_string(i) + ".png");
    const std::string before = read_bytes(dir / "f_0001.png");
    auto r = run_cli("process -q -i " + q(dir / "f_%04d.png") + " -o " + q(dir / "f_%04d.png"));
    expect_error(r, 2, "f_%04d.png", "would overwrite the input");
    r = run_cli("process -q -i " + q(dir / "f_0001.png") + " -o " + q(dir / "f_%04d.png"));
    expect_error(r, 2, "f_%04d.png", "would overwrite the input");
    r = run_cli("process -q -i " + q(dir / "f_%04d.png") + " -o " + q(dir / "f_0002.png"));
    expect_error(r, 2, "f_0002.png", "would overwrite the input");
    EXPECT_EQ(read_bytes(dir / "f_0001.png"), before);
    // Another name in the same folder is fine.
    r = run_cli("process -q -i " + q(dir / "f_%04d.png") + " -o " + q(dir / "g_%04d.png"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(BadInput, FacesDrawOverTheInput) {
    const auto in = png("in.png");
    const std::string before = read_bytes(in);
    auto r = run_cli("faces " + q(in) + " --draw " + q(in));
    expect_error(r, 2, in.string(), "would overwrite the input");
    EXPECT_EQ(read_bytes(in), before);
    const auto lost = dir / "no" / "faces.png";
    r = run_cli("faces " + q(in) + " --draw " + q(lost));
    expect_error(r, 1, lost.string(), "output folder does not exist");
    EXPECT_TRUE(r.out.empty()) << "worked before checking the output: " << r.out;
}

TEST_F(BadInput, ReferencePhotoWithoutAFace) {
    if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << "missing asset faces/obama.jpg";
    const auto in = png("in.png");
    const auto ref = png("nobody.png", 64, 64);
    const auto out = dir / "out.png";
    const auto r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --source " + q(asset("faces/obama.jpg")) +
                           " --faces reference --reference " + q(ref));
    expect_error(r, 1, ref.string(), "no face found in the reference photo");
    expect_no_output(out);
}

TEST_F(BadInput, PhotoThatIsAVideo) {
    const auto video = dir / "clip.mkv";
    ASSERT_EQ(ffmpeg("-f lavfi -i testsrc2=s=64x48:r=10:d=0.3 -c:v ffv1 " + q(video)), 0);
    const auto in = png("in.png", 64, 48);
    const auto out = dir / "out.png";
    auto r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --source " + q(video));
    expect_error(r, 1, video.string(), "is a video, not an image");
    r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key plate:" + video.string());
    expect_error(r, 1, video.string(), "is a video, not an image");
    expect_no_output(out);
}

// Text with a .jpg name: FFmpeg opens it as JPEG and reports a 0x0 picture.
TEST_F(BadInput, CorruptImage) {
    const auto bad = dir / "bad.jpg";
    std::ofstream(bad) << "not a picture\n";
    auto r = run_cli("probe " + q(bad));
    expect_error(r, 1, bad.string(), "corrupt");
    const auto in = green_screen("in.png");
    const auto out = dir / "out.png";
    r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key auto --background " + q(bad));
    expect_error(r, 1, bad.string(), "corrupt");
    expect_no_output(out);
}

TEST_F(BadInput, MistypedValues) {
    const auto in = green_screen("in.png");
    const auto out = dir / "out.png";
    auto r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --frames 99999999999999999999999");
    expect_error(r, 2, "--frames", "too large");
    r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key auto --background '#zzz'");
    expect_error(r, 2, "#zzz", "invalid --background colour");
    expect_no_output(out);
    r = run_cli("bench --stages keys --size 64x64 --frames 1");
    expect_error(r, 2, "keys", "invalid --stages");
    r = run_cli("bench --size 64x64 --size 7x7 --frames 1");
    expect_error(r, 2, "7x7", "from 16x16");
    EXPECT_TRUE(r.out.empty()) << "timed a size before rejecting another: " << r.out;
}

TEST_F(BadInput, DemoWithoutMaterialOrFolder) {
    const auto out = dir / "demo-out";
    auto r = run_cli("demo --cache " + q(dir / "no-cache") + " --out " + q(out));
    expect_error(r, 1, "no-cache", "demo material missing");
    EXPECT_FALSE(fs::exists(out)) << "created the output folder before failing";
    // --out naming a file: a typed one-line error, not a filesystem exception's text. The
    // folder is refused before the portrait is read, so any picture stands in for it.
    const auto cache = dir / "cache";
    fs::create_directories(cache / "demo" / "skimage");
    fs::copy_file(png("portrait.png"), cache / "demo" / "skimage" / "astronaut.png");
    const auto file = png("file.png");
    r = run_cli("demo --cache " + q(cache) + " --out " + q(file));
    expect_error(r, 1, file.string(), "cannot create the output folder");
}

// 4:2:0 needs even sizes in H.264/VP9, but lossy WebP (also 4:2:0) takes odd ones.
TEST_F(BadInput, OddSizeLossyWebp) {
    const auto in = png("odd.png", 101, 57);
    const auto out = dir / "out.webp";
    const auto r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --quality 80");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto frames = read_all(out);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].rgba.width(), 101);
    EXPECT_EQ(frames[0].rgba.height(), 57);
}

TEST_F(BadInput, PlateMaskAndRectanglesThatDoNotFitTheFrame) {
    const auto in = green_screen("in.png", 64, 48);
    const auto out = dir / "out.png";
    const auto square = png("square.png", 40, 40);
    auto r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key plate:" + square.string());
    expect_error(r, 1, square.string(), "another aspect ratio");
    r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key auto --garbage-mask " + q(square));
    expect_error(r, 1, square.string(), "another aspect ratio");
    r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key auto --garbage 5000,5000,10,10");
    expect_error(r, 2, in.string(), "--garbage 5000,5000,10,10 lies outside the 64x48 frame");
    expect_no_output(out);
    // Half the size, same framing: scaled, as before.
    const auto half = green_screen("half.png", 32, 24);
    r = run_cli("process -q -i " + q(in) + " -o " + q(out) + " --key plate:" + half.string() + " --garbage 60,0,100,100");
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A sequence cut short by corrupt input leaves no frames: a partial sequence would pass for
// a complete one.
TEST_F(BadInput, FailedSequenceOutputLeavesNoFrames) {
    // With the index at the front the cut shows up mid-stream, after frames were written.
    const auto whole = dir / "whole.mp4";
    ASSERT_EQ(ffmpeg("-f lavfi -i testsrc2=s=160x120:r=10:d=3 -c:v libx264 -bf 0 -g 5 -movflags +faststart " + q(whole)), 0);
    const std::string bytes = read_bytes(whole);
    const auto in = dir / "cut.mp4";
    std::ofstream(in, std::ios::binary) << bytes.substr(0, bytes.size() * 6 / 10);
    fs::create_directories(dir / "seq");
    const auto r = run_cli("process -q -i " + q(in) + " -o " + q(dir / "seq" / "f_%04d.png"));
    // The cut removes 40% of the file, index at the front: decoding must fail part-way.
    ASSERT_EQ(r.exit_code, 1) << "the damaged clip decoded cleanly, so nothing was tested: " << r.err;
    EXPECT_TRUE(fs::is_empty(dir / "seq")) << "frames left from a failed run: " << r.err;
}

}  // namespace
}  // namespace keyswap::test
