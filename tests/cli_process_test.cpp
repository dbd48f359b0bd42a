// `keyswap process` and `keyswap probe` as a user runs them: audio carried and cut to the
// range, exact frame ranges, probe output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io_test_helpers.hpp"

namespace keyswap::test {
namespace {

class RealClip : public ::testing::Test {
protected:
    void SetUp() override {
        if (!has_asset(kClip)) GTEST_SKIP() << "missing asset " << kClip;
        clip = asset(kClip);
    }
    fs::path clip;
};

// The audio of a processed range lasts as long as its video (AAC frames are 23 ms, Opus
// 20 ms, plus encoder padding: 0.1 s is well inside what a listener would notice).
void expect_audio_matches_video(const fs::path& out, double seconds) {
    const Span v = stream_span(out, "v:0"), a = stream_span(out, "a:0");
    ASSERT_GT(a.packets, 0) << "no audio stream in " << out;
    EXPECT_NEAR(v.length(), seconds, 0.01);
    EXPECT_NEAR(a.start, v.start, 0.1);
    EXPECT_NEAR(a.length(), v.length(), 0.1) << "audio " << a.start << "-" << a.end << " video " << v.start << "-" << v.end;
}

struct AudioCase {
    const char* ext;
    const char* codec;
    const char* frames;
    double seconds;
};

TEST_F(RealClip, AudioIsCarriedAndCutToTheRange) {
    const auto dir = scratch("cli-audio");
    // The start of the clip, and a range from its middle (the audio must start there too).
    for (const AudioCase& c : {AudioCase{".mp4", "aac", "0-44", 1.5}, AudioCase{".webm", "opus", "0-44", 1.5},
                               AudioCase{".mp4", "aac", "300-359", 2.0}, AudioCase{".webm", "opus", "300-359", 2.0}}) {
        SCOPED_TRACE(std::string(c.ext) + " " + c.frames);
        const auto out = dir / (std::string("out-") + c.frames + c.ext);
        const auto r = run_cli("process -q -i " + q(clip) + " -o " + q(out) + " --frames " + c.frames);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto info = nlohmann::json::parse(run_cli("probe --json " + q(out)).out);
        EXPECT_EQ(info["audio"], true);
        EXPECT_EQ(info.value("audio_codec", ""), c.codec);
        expect_audio_matches_video(out, c.seconds);
    }
}

TEST_F(RealClip, NoAudioFlagDropsIt) {
    const auto out = scratch("cli-noaudio") / "out.mp4";
    ASSERT_EQ(run_cli("process -q --no-audio --frames 0-9 -i " + q(clip) + " -o " + q(out)).exit_code, 0);
    EXPECT_EQ(stream_span(out, "a:0").packets, 0);
}

TEST_F(RealClip, FrameRangeIsExact) {
    const auto dir = scratch("cli-frames");
    // The clip's frames 0-8 are identical, and 9-10; from 11 on each differs from the next,
    // so frame 12 catches an off-by-one either way, and frame 10 one towards later frames.
    io::ReaderOptions first14;
    first14.last_frame = 13;
    const auto input = read_all(clip, first14);
    ASSERT_EQ(input.size(), 14u);
    ASSERT_GT(max_diff(input[10].rgba, input[11].rgba), 0);
    ASSERT_GT(max_diff(input[12].rgba, input[11].rgba), 0);
    ASSERT_GT(max_diff(input[12].rgba, input[13].rgba), 0);

    // FFV1 is lossless, so the first output frame must be input frame 10 bit for bit.
    const auto ten = dir / "ten.mkv";
    auto r = run_cli("process -q --frames 10-19 -i " + q(clip) + " -o " + q(ten));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = read_all(ten);
    ASSERT_EQ(got.size(), 10u);
    EXPECT_EQ(max_diff(got.front().rgba, input[10].rgba), 0) << "first frame is not input frame 10";
    EXPECT_NEAR(got.back().time, 9 / 30.0, 1e-3) << "times start at 0 at the range start";

    const auto one = dir / "one.mkv";
    ASSERT_EQ(run_cli("process -q --frames 12 -i " + q(clip) + " -o " + q(one)).exit_code, 0);
    const auto single = read_all(one);
    ASSERT_EQ(single.size(), 1u);
    EXPECT_EQ(max_diff(single.front().rgba, input[12].rgba), 0);
}

TEST_F(RealClip, BadRangesAreUsageErrors) {
    const auto out = scratch("cli-badrange") / "out.mkv";
    for (const char* range : {"19-10", "abc", "-5", "1-2-3", "5-x", "1.5"}) {
        SCOPED_TRACE(range);
        const auto r = run_cli("process -q --frames " + std::string(range) + " -i " + q(clip) + " -o " + q(out));
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_NE(r.err.find("--frames"), std::string::npos) << r.err;
        expect_no_output(out);
    }
    // Well-formed but past the end: the input has no frames there.
    const auto r = run_cli("process -q --frames 5000-5010 -i " + q(clip) + " -o " + q(out));
    expect_error(r, 1, clip.string(), "no video frames in the requested range");
    expect_no_output(out);
}

TEST_F(RealClip, ProbeReportsTheClip) {
    const auto r = run_cli("probe " + q(clip));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* text : {"1280x720", "30.000", "h264", "aac 44100 Hz", "732"})
        EXPECT_NE(r.out.find(text), std::string::npos) << "missing '" << text << "' in\n" << r.out;
    const auto j = nlohmann::json::parse(run_cli("probe --json " + q(clip)).out);
    EXPECT_EQ(j["width"], 1280);
    EXPECT_EQ(j["height"], 720);
    EXPECT_NEAR(j["fps"].get<double>(), 30.0, 1e-9);
    EXPECT_EQ(j["frames"], 732);
    EXPECT_EQ(j["video_codec"], "h264");
    EXPECT_EQ(j["alpha"], false);
    EXPECT_EQ(j["audio"], true);
    EXPECT_EQ(j["audio_codec"], "aac");
    EXPECT_EQ(j["audio_channels"].get<int>() > 0, true);
}

// --count decodes, so it is exact even where the container stores no frame count (Matroska).
TEST(Probe, CountsFramesAndSeesAlpha) {
    const auto dir = scratch("cli-probe");
    const auto file = dir / "alpha.mkv";
    ASSERT_EQ(ffmpeg("-f lavfi -i testsrc2=s=64x48:r=24:d=0.5 -vf format=rgba,geq=r=X*4:g=Y*4:b=128:a=X*4 -c:v ffv1 " + q(file)), 0);
    const auto j = nlohmann::json::parse(run_cli("probe --count --json " + q(file)).out);
    EXPECT_EQ(j["frames"], 12);
    EXPECT_EQ(j["alpha"], true);
    EXPECT_EQ(j["audio"], false);
    EXPECT_EQ(j["video_codec"], "ffv1");
    EXPECT_EQ(j["width"], 64);
    const auto text = run_cli("probe --count " + q(file)).out;
    EXPECT_NE(text.find("alpha"), std::string::npos) << text;
    EXPECT_NE(text.find("audio      none"), std::string::npos) << text;
}

}  // namespace
}  // namespace keyswap::test
