// Scale-out: a job cut into frame-range chunks, run as local processes or as a Slurm job
// array, stitched into one output that matches a single run (frames, audio, frame count);
// a failed or missing chunk fails the stitch naming it, and a rerun redoes only that chunk.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <thread>

#include <nlohmann/json.hpp>

#include "io_test_helpers.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/scale/chunk_plan.hpp"

namespace keyswap::test {
namespace {

// The bound for frames whose result depends on history (face tracks and smoothing) after a
// chunk boundary, with the default warm-up (2 s): the smallest PSNR measured on the demo scene
// was 45.2 dB at 720p (docs/SCALE.md); the bound leaves room for other clips.
constexpr double kBoundaryPsnr = 42.0;

// A face on a green screen with sound, 640x360 at 30 fps: the demo's generated scene (the
// face is the test assets' astronaut), scaled down for speed, with a tone as its audio. Made
// once per machine and shared by the tests (written under a temporary name, then renamed).
fs::path face_clip(int frames) {
    const fs::path dir = fs::temp_directory_path() / "keyswap-tests" / "scale-clips";
    const fs::path clip = dir / ("face-" + std::to_string(frames) + ".mp4");
    if (fs::exists(clip)) return clip;
    const fs::path work = dir / ("make-" + std::to_string(::getpid()));
    fs::create_directories(work / "cache" / "demo" / "skimage");
    fs::copy_file(asset("faces/astronaut.png"), work / "cache" / "demo" / "skimage" / "astronaut.png",
                  fs::copy_options::overwrite_existing);
    EXPECT_EQ(run_cli("demo --frames " + std::to_string(frames) + " --cache " + q(work / "cache") + " --out " + q(work)).exit_code, 0);
    const fs::path tmp = work / "clip.mp4";
    EXPECT_EQ(ffmpeg("-i " + q(work / "green-screen-scene.mp4") +
                     " -f lavfi -i sine=frequency=440:sample_rate=48000 -shortest -vf scale=640:360 -c:v libx264 -crf 16 -g 12 -bf 0"
                     " -c:a aac " + q(tmp)),
              0);
    fs::rename(tmp, clip);
    fs::remove_all(work);
    return clip;
}

struct Comparison {
    std::size_t frames_a = 0, frames_b = 0;
    std::size_t identical = 0;
    double min_psnr = std::numeric_limits<double>::infinity();
    bool alpha_identical = true;
};

Comparison compare(const fs::path& a, const fs::path& b) {
    const auto fa = read_all(a), fb = read_all(b);
    Comparison c;
    c.frames_a = fa.size();
    c.frames_b = fb.size();
    for (std::size_t i = 0; i < std::min(fa.size(), fb.size()); ++i) {
        const double p = psnr(fa[i].rgba, fb[i].rgba);
        c.min_psnr = std::min(c.min_psnr, p);
        c.identical += std::isinf(p) ? 1 : 0;
        c.alpha_identical = c.alpha_identical && max_diff(fa[i].rgba, fb[i].rgba, 3, 4) == 0;
    }
    return c;
}

class Scale : public ::testing::Test {
protected:
    void SetUp() override {
        if (!has_asset("faces/astronaut.png") || !has_asset("faces/biden.jpg")) GTEST_SKIP() << "missing assets";
        face = asset("faces/biden.jpg");
    }
    // Key and swap; `quiet` off where a test reads the run's report.
    std::string swap_args(const fs::path& in, const fs::path& out, bool quiet = true) const {
        return std::string(quiet ? "process -q -i " : "process -i ") + q(in) + " -o " + q(out) + " --key auto --source " + q(face);
    }
    fs::path face;
};

TEST(ScalePlan, SplitsIntoNearlyEqualConsecutiveRanges) {
    const auto c = scale::split_frames(10, 109, 4, 0);
    ASSERT_EQ(c.size(), 4u);
    EXPECT_EQ(c.front().first, 10);
    EXPECT_EQ(c.back().last, 109);
    for (std::size_t i = 0; i < c.size(); ++i) {
        EXPECT_EQ(c[i].frames(), 25);
        if (i > 0) {
            EXPECT_EQ(c[i].first, c[i - 1].last + 1);
        }
    }
    const auto odd = scale::split_frames(0, 9, 3, 0);  // 4 + 3 + 3
    ASSERT_EQ(odd.size(), 3u);
    EXPECT_EQ(odd[0].frames(), 4);
    EXPECT_EQ(odd[2].last, 9);
    const auto by_size = scale::split_frames(0, 99, 0, 30);  // 30 30 30 10
    ASSERT_EQ(by_size.size(), 4u);
    EXPECT_EQ(by_size.back().frames(), 10);
    EXPECT_EQ(scale::split_frames(0, 2, 8, 0).size(), 3u) << "never more chunks than frames";
    EXPECT_EQ(error_of([] { scale::split_frames(5, 4, 2, 0); }), ErrorKind::Usage);
}

TEST(ScalePlan, ManifestRoundTripsAndAnotherJobMakesChunksStale) {
    const auto dir = scratch("scale-manifest");
    scale::ChunkPlan p;
    p.dir = dir / "job.chunks";
    p.input = dir / "in.mp4";
    p.output = dir / "out.mp4";
    p.first = 0;
    p.last = 19;
    p.warm_up = 5;
    p.encode.codec = "h264";
    p.encode.crf = 20;
    p.chunks = scale::split_frames(0, 19, 2, 0);
    p.fingerprint = "one";
    EXPECT_EQ(scale::save_plan(p), 0u);
    const auto back = scale::load_plan(p.dir);
    EXPECT_EQ(back.input, p.input);
    EXPECT_EQ(back.output, p.output);
    EXPECT_EQ(back.warm_up, 5);
    EXPECT_EQ(back.encode.codec, "h264");
    EXPECT_EQ(back.encode.crf, 20);
    ASSERT_EQ(back.chunks.size(), 2u);
    EXPECT_EQ(back.chunks[1].first, 10);
    EXPECT_EQ(back.missing().size(), 2u);
    // Chunk 0 done: it counts for the same job and is dropped for another.
    { std::ofstream(p.chunk_file(0)) << "x"; }
    scale::save_record(p, 0, {10, 0.0, 0.4});
    EXPECT_EQ(back.missing(), std::vector<std::size_t>{1});
    EXPECT_EQ(scale::save_plan(p), 1u);
    EXPECT_TRUE(fs::exists(p.chunk_file(0)));
    p.fingerprint = "two";
    EXPECT_EQ(scale::save_plan(p), 0u);
    EXPECT_FALSE(fs::exists(p.chunk_file(0)));
    EXPECT_FALSE(fs::exists(p.record_file(0)));
    // A record whose frame count is not the plan's does not count as done.
    { std::ofstream(p.chunk_file(1)) << "x"; }
    scale::save_record(p, 1, {7, 0.4, -1});
    EXPECT_EQ(p.missing().size(), 2u);
    EXPECT_EQ(error_of([&] { scale::load_plan(dir); }), ErrorKind::Input);
}

TEST(ScaleReader, WarmUpFramesComeFirstFlaggedWithContinuousTimes) {
    const auto dir = scratch("scale-reader");
    const auto clip = dir / "count.mkv";
    ASSERT_EQ(ffmpeg("-f lavfi -i testsrc2=s=64x48:r=10:d=2 -c:v ffv1 " + q(clip)), 0);
    io::ReaderOptions o;
    o.first_frame = 8;
    o.last_frame = 11;
    o.warm_up = 3;
    const auto frames = read_all(clip, o);
    ASSERT_EQ(frames.size(), 7u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(frames[i].warm_up);
        EXPECT_EQ(frames[i].index, i - 3);
        EXPECT_LT(frames[i].pts, 0);
    }
    for (int i = 3; i < 7; ++i) {
        EXPECT_FALSE(frames[i].warm_up);
        EXPECT_EQ(frames[i].index, i - 3);
    }
    EXPECT_EQ(frames[3].pts, 0) << "the range's own timestamps start at 0";
    for (int i = 1; i < 7; ++i) EXPECT_NEAR(frames[i].time - frames[i - 1].time, 0.1, 1e-6) << "times run on across the boundary";
    // And the same range without warm-up decodes the same pictures.
    o.warm_up = 0;
    const auto plain = read_all(clip, o);
    ASSERT_EQ(plain.size(), 4u);
    EXPECT_EQ(max_diff(plain[0].rgba, frames[3].rgba, 0, 4), 0);
}

TEST_F(Scale, LocalChunksMatchASingleRunWithAudio) {
    const auto clip = face_clip(48);
    const auto dir = scratch("scale-local");
    const auto single = dir / "single.mkv", chunked = dir / "chunked.mkv";
    ASSERT_EQ(run_cli(swap_args(clip, single)).exit_code, 0);
    const auto r = run_cli(swap_args(clip, chunked) + " --chunks 4 --scheduler local");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(dir / "chunked.mkv.chunks")) << "the chunk folder goes after a good stitch";
    // Every chunk's warm-up (2 s) reaches back to frame 0, so every history-dependent stage
    // (tracks, smoothing, temporal matte, screen colour) is where the single run had it:
    // every frame must be the single run's, bit for bit.
    const auto c = compare(single, chunked);
    EXPECT_EQ(c.frames_b, 48u);
    EXPECT_EQ(c.frames_a, c.frames_b);
    EXPECT_EQ(c.identical, 48u) << "min PSNR " << c.min_psnr;
    const auto sa = stream_span(single, "a"), ca = stream_span(chunked, "a");
    ASSERT_GT(ca.packets, 0) << "the stitched output lost the audio";
    EXPECT_EQ(ca.packets, sa.packets);
    EXPECT_NEAR(ca.length(), sa.length(), 1e-3);
    EXPECT_NEAR(stream_span(chunked, "v").length(), stream_span(single, "v").length(), 1e-3);
}

TEST_F(Scale, DefaultWarmUpKeepsBoundariesWithinTheStatedBound) {
    const auto clip = face_clip(120);
    const auto dir = scratch("scale-boundary");
    const auto single = dir / "single.mkv", chunked = dir / "chunked.mkv", cold = dir / "cold.mkv";
    ASSERT_EQ(run_cli(swap_args(clip, single)).exit_code, 0);
    // One boundary, at frame 80: the default warm-up (60 frames at 30 fps) starts at frame 20.
    ASSERT_EQ(run_cli(swap_args(clip, chunked) + " --chunk-frames 80").exit_code, 0);
    ASSERT_EQ(run_cli(swap_args(clip, cold) + " --chunk-frames 80 --warm-up 0").exit_code, 0);
    const auto warm = compare(single, chunked), none = compare(single, cold);
    ASSERT_EQ(warm.frames_b, 120u);
    EXPECT_GE(warm.min_psnr, kBoundaryPsnr);
    EXPECT_GE(warm.identical, 80u) << "the first chunk is the single run's own frames";
    EXPECT_GT(warm.min_psnr, none.min_psnr) << "warming up must bring the boundary closer to the single run";
}

TEST_F(Scale, KeyingAloneIsBitIdenticalEvenWithoutWarmUp) {
    const auto clip = face_clip(48);
    const auto dir = scratch("scale-key");
    const auto single = dir / "single.mp4", chunked = dir / "chunked.mp4";
    // No temporal smoothing: then nothing in the key depends on earlier frames but the screen
    // colour, which every chunk takes from the job's first frame.
    const std::string args = " --key auto --temporal 0 --background '#203060' --codec h264 --crf 18";
    ASSERT_EQ(run_cli("process -q -i " + q(clip) + " -o " + q(single) + args).exit_code, 0);
    const auto r = run_cli("process -q -i " + q(clip) + " -o " + q(chunked) + args +
                           " --chunk-frames 10 --warm-up 0 --lossless-chunks");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Lossless chunks encoded once, from identical pictures with identical timestamps, to the
    // same H.264.
    const auto c = compare(single, chunked);
    EXPECT_EQ(c.frames_b, 48u);
    EXPECT_EQ(c.identical, 48u);
}

// The default: every chunk is encoded straight in the output's codec (its own encode, so it
// starts on a keyframe) and the stitch copies the packets, re-encoding nothing.
TEST_F(Scale, FinalCodecChunksAreJoinedWithoutReencoding) {
    const auto clip = face_clip(48);
    const auto dir = scratch("scale-copy");
    const auto single = dir / "single.mp4", chunked = dir / "chunked.mp4", chunks = dir / "chunked.mp4.chunks";
    const std::string args = " --background '#203060'";
    ASSERT_EQ(run_cli(swap_args(clip, single) + args).exit_code, 0);
    const auto r = run_cli(swap_args(clip, chunked, false) + args + " --chunks 3 --keep-chunks");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("joined without re-encoding"), std::string::npos) << r.err;
    // The output's pictures are the chunks' own, bit for bit: nothing was decoded and encoded.
    std::vector<Frame> parts;
    for (int i = 0; i < 3; ++i) {
        const auto file = chunks / ("chunk_000" + std::to_string(i) + ".mp4");
        ASSERT_TRUE(fs::exists(file)) << "chunks are written in the output's container";
        for (auto& f : read_all(file)) parts.push_back(std::move(f));
    }
    const auto joined = read_all(chunked);
    ASSERT_EQ(joined.size(), 48u);
    ASSERT_EQ(parts.size(), 48u);
    for (std::size_t i = 0; i < joined.size(); ++i) EXPECT_EQ(max_diff(joined[i].rgba, parts[i].rgba), 0) << "frame " << i;
    // Against a single run the only difference is the encoder's own (each chunk opens a new
    // GOP): at CRF 18 that stays far above what a viewer would notice. Measured: 39.9 dB at
    // the worst frame, 47 dB on average (docs/SCALE.md).
    const auto c = compare(single, chunked);
    EXPECT_EQ(c.frames_a, c.frames_b);
    EXPECT_GE(c.min_psnr, 36.0);
    const auto sa = stream_span(single, "a"), ca = stream_span(chunked, "a");
    ASSERT_GT(ca.packets, 0) << "the stitched output lost the audio";
    EXPECT_EQ(ca.packets, sa.packets);
    EXPECT_NEAR(stream_span(chunked, "v").length(), stream_span(single, "v").length(), 1e-3);
    // Chunks of different codecs cannot be copied: they are decoded and encoded once.
    ASSERT_EQ(run_cli("process -q -i " + q(clip) + " -o " + q(dir / "a.mkv") + " --frames 0-19 --codec h264").exit_code, 0);
    ASSERT_EQ(run_cli("process -q -i " + q(clip) + " -o " + q(dir / "b.mkv") + " --frames 20-47").exit_code, 0);
    const auto mixed = run_cli("stitch -o " + q(dir / "mixed.mkv") + " " + q(dir / "a.mkv") + " " + q(dir / "b.mkv"));
    ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
    EXPECT_NE(mixed.err.find("encoded once"), std::string::npos) << mixed.err;
    EXPECT_EQ(read_all(dir / "mixed.mkv").size(), 48u);
}

TEST_F(Scale, MissingChunkFailsTheStitchAndARerunRedoesOnlyIt) {
    const auto clip = face_clip(48);
    const auto dir = scratch("scale-rerun");
    const auto out = dir / "out.mkv", chunks = dir / "out.mkv.chunks";
    ASSERT_EQ(run_cli(swap_args(clip, out) + " --chunks 4 --keep-chunks").exit_code, 0);
    const auto first_run = dir / "first.mkv";
    fs::copy_file(out, first_run);
    std::vector<fs::file_time_type> before;
    for (int i = 0; i < 4; ++i) before.push_back(fs::last_write_time(chunks / ("chunk_000" + std::to_string(i) + ".mkv")));
    fs::remove(chunks / "chunk_0002.mkv");
    // The stitch by hand names the missing chunk and leaves the earlier output as it was.
    const auto s = run_cli("stitch " + q(chunks));
    EXPECT_NE(s.exit_code, 0);
    EXPECT_NE(s.err.find("chunk 2 (frames 24-35)"), std::string::npos) << s.err;
    EXPECT_EQ(read_bytes(out), read_bytes(first_run));
    // A rerun of the same job runs chunk 2 alone and gives the same frames.
    const auto r = run_cli(swap_args(clip, out, false) + " --chunks 4 --keep-chunks");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("3 already done, reused"), std::string::npos) << r.err;
    for (int i : {0, 1, 3}) EXPECT_EQ(fs::last_write_time(chunks / ("chunk_000" + std::to_string(i) + ".mkv")), before[i]) << i;
    EXPECT_EQ(compare(first_run, out).identical, 48u);
    // Other settings are another job: every chunk is redone.
    const auto other = run_cli(swap_args(clip, out, false) + " --chunks 4 --keep-chunks --despill 0.2");
    ASSERT_EQ(other.exit_code, 0) << other.err;
    EXPECT_EQ(other.err.find("already done"), std::string::npos) << other.err;
}

TEST_F(Scale, FailingChunkFailsTheJobNamingItAndWritesNoOutput) {
    const auto clip = face_clip(48);
    const auto dir = scratch("scale-fail");
    const auto out = dir / "out.mkv", chunks = dir / "out.mkv.chunks";
    // Chunk 1's file cannot be written: a folder with something in it stands at its name.
    fs::create_directories(chunks / "chunk_0001.mkv");
    { std::ofstream(chunks / "chunk_0001.mkv" / "keep") << "x"; }
    const auto r = run_cli(swap_args(clip, out) + " --chunks 4");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("chunk 1 (frames 12-23) failed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("missing or failed: chunk 1 (frames 12-23)"), std::string::npos) << r.err;
    expect_no_output(out);
    EXPECT_EQ(nlohmann::json::parse(std::ifstream(chunks / "manifest.json"))["chunks"].size(), 4u);
    EXPECT_TRUE(fs::exists(chunks / "chunk_0003.json")) << "the chunks that worked are kept for the rerun";
}

TEST_F(Scale, StitchByHandJoinsChunkFilesInOrderWithTheInputsAudio) {
    const auto clip = face_clip(48);
    const auto dir = scratch("scale-byhand");
    // Parts made by hand: plain re-encodes of two ranges (no stage with history in them).
    ASSERT_EQ(run_cli("process -q -i " + q(clip) + " -o " + q(dir / "a.mkv") + " --frames 0-19").exit_code, 0);
    ASSERT_EQ(run_cli("process -q -i " + q(clip) + " -o " + q(dir / "b.mkv") + " --frames 20-47").exit_code, 0);
    ASSERT_EQ(run_cli("process -q -i " + q(clip) + " -o " + q(dir / "whole.mkv")).exit_code, 0);
    const auto r = run_cli("stitch -o " + q(dir / "joined.mkv") + " --audio-from " + q(clip) + " " + q(dir / "a.mkv") + " " + q(dir / "b.mkv"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto c = compare(dir / "whole.mkv", dir / "joined.mkv");
    EXPECT_EQ(c.frames_b, 48u);
    EXPECT_EQ(c.identical, 48u);
    EXPECT_NEAR(stream_span(dir / "joined.mkv", "a").length(), stream_span(dir / "whole.mkv", "a").length(), 0.03);
    // Refused: no output name, a missing part, the output over a part.
    EXPECT_NE(run_cli("stitch " + q(dir / "a.mkv") + " " + q(dir / "b.mkv")).exit_code, 0);
    const auto missing = run_cli("stitch -o " + q(dir / "x.mkv") + " " + q(dir / "a.mkv") + " " + q(dir / "nope.mkv"));
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("nope.mkv"), std::string::npos) << missing.err;
    expect_no_output(dir / "x.mkv");
    EXPECT_NE(run_cli("stitch -o " + q(dir / "a.mkv") + " " + q(dir / "a.mkv") + " " + q(dir / "b.mkv")).exit_code, 0);
    EXPECT_FALSE(read_bytes(dir / "a.mkv").empty());
}

TEST_F(Scale, DryRunPrintsTheSlurmScriptsAndWritesNothing) {
    const auto clip = face_clip(48);
    const auto dir = scratch("scale-dry");
    const auto r = run_cli(swap_args(clip, dir / "out.mkv") + " --chunks 3 --scheduler slurm --dry-run --partition render"
                           " --sbatch-arg=--cpus-per-task=2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("--array=0,1,2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("#SBATCH --partition=render"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--cpus-per-task=2"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" chunk "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" stitch "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("afterany"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(dir / "out.mkv.chunks"));
    EXPECT_FALSE(fs::exists(dir / "out.mkv"));
    // And the usage errors: an image output, a chunk count of 0, and what a single run would
    // refuse (a keyed result into a format without alpha), refused before any chunk runs.
    EXPECT_NE(run_cli(swap_args(clip, dir / "out.png") + " --chunks 2").exit_code, 0);
    EXPECT_NE(run_cli(swap_args(clip, dir / "out.mkv") + " --chunks 0").exit_code, 0);
    const auto no_alpha = run_cli(swap_args(clip, dir / "out.mp4") + " --chunks 2");
    EXPECT_NE(no_alpha.exit_code, 0);
    EXPECT_NE(no_alpha.err.find("no alpha channel"), std::string::npos) << no_alpha.err;
    EXPECT_FALSE(fs::exists(dir / "out.mp4.chunks")) << "refused before anything was written";
}

// Another scheduler (a Kubernetes Indexed Job): the plan is written, the commands printed,
// and running them by hand in any order gives the job's output.
TEST_F(Scale, PlanOnlyWritesTheFolderAndItsCommandsMakeTheOutput) {
    const auto clip = face_clip(48);
    const auto dir = scratch("scale-plan-only");
    const auto out = dir / "out.mkv", chunks = dir / "out.mkv.chunks";
    const auto r = run_cli(swap_args(clip, out) + " --chunks 2 --plan-only");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(chunks / "manifest.json"));
    EXPECT_TRUE(fs::exists(chunks / "settings.json"));
    EXPECT_FALSE(fs::exists(out));
    EXPECT_NE(r.out.find(" chunk " + chunks.string() + " 1\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" stitch " + chunks.string() + "\n"), std::string::npos) << r.out;
    ASSERT_EQ(run_cli("chunk " + q(chunks) + " 1").exit_code, 0);
    const auto early = run_cli("stitch " + q(chunks));
    EXPECT_NE(early.exit_code, 0);
    EXPECT_NE(early.err.find("chunk 0 (frames 0-23)"), std::string::npos) << early.err;
    EXPECT_NE(run_cli("chunk " + q(chunks) + " 7").exit_code, 0) << "no such chunk";
    ASSERT_EQ(run_cli("chunk " + q(chunks) + " 0").exit_code, 0);
    ASSERT_EQ(run_cli("stitch " + q(chunks)).exit_code, 0);
    const auto single = dir / "single.mkv";
    ASSERT_EQ(run_cli(swap_args(clip, single)).exit_code, 0);
    EXPECT_EQ(compare(single, out).identical, 48u);
}

// A single-node Slurm cluster from Debian's packages, started for the test in a temporary
// folder (tests/slurm/cluster.sh). scripts/test installs Slurm and sets KEYSWAP_REQUIRE_SLURM,
// so in CI a missing Slurm fails instead of skipping.
class SlurmScale : public Scale {
protected:
    void SetUp() override {
        Scale::SetUp();
        if (IsSkipped()) return;
        const bool required = std::getenv("KEYSWAP_REQUIRE_SLURM") && std::string(std::getenv("KEYSWAP_REQUIRE_SLURM")) == "1";
        if (std::system("command -v slurmctld >/dev/null 2>&1 || test -x /usr/sbin/slurmctld") != 0) {
            if (required) FAIL() << "Slurm is not installed (slurmctld slurmd slurm-client)";
            GTEST_SKIP() << "Slurm is not installed";
        }
        cluster = scratch(std::string("slurm-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        script = fs::path(KEYSWAP_SOURCE_DIR) / "tests" / "slurm" / "cluster.sh";
        ASSERT_EQ(std::system((q(script) + " start " + q(cluster / "slurm") + " >/dev/null").c_str()), 0) << "the cluster did not start";
        started = true;
        ::setenv("SLURM_CONF", (cluster / "slurm" / "slurm.conf").c_str(), 1);
    }
    void TearDown() override {
        if (started) std::system((q(script) + " stop " + q(cluster / "slurm")).c_str());
    }
    fs::path cluster, script;
    bool started = false;
};

TEST_F(SlurmScale, JobArrayAndStitchGiveTheLocalOutput) {
    const auto clip = face_clip(48);
    const auto dir = cluster;
    const auto local = dir / "local.mkv", slurm = dir / "slurm.mkv";
    ASSERT_EQ(run_cli(swap_args(clip, local) + " --chunks 4").exit_code, 0);
    const auto r = run_cli(swap_args(clip, slurm, false) + " --chunks 4 --scheduler slurm");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("submitted to Slurm"), std::string::npos) << r.err;
    const auto c = compare(local, slurm);
    EXPECT_EQ(c.frames_b, 48u);
    EXPECT_EQ(c.identical, 48u) << "the same chunks and stitch through another scheduler";
    EXPECT_GT(stream_span(slurm, "a").packets, 0);
}

TEST_F(SlurmScale, FailedTaskFailsTheStitchAndARerunRedoesOnlyIt) {
    const auto clip = face_clip(48);
    const auto out = cluster / "out.mkv", chunks = cluster / "out.mkv.chunks";
    fs::create_directories(chunks / "chunk_0002.mkv");
    { std::ofstream(chunks / "chunk_0002.mkv" / "keep") << "x"; }
    const auto r = run_cli(swap_args(clip, out) + " --chunks 4 --scheduler slurm");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("chunk 2 (frames 24-35)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("the stitch failed"), std::string::npos) << r.err;
    expect_no_output(out);
    const auto done_before = fs::last_write_time(chunks / "chunk_0001.json");
    fs::remove_all(chunks / "chunk_0002.mkv");
    const auto again = run_cli(swap_args(clip, out, false) + " --chunks 4 --scheduler slurm --keep-chunks");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("3 already done, reused"), std::string::npos) << again.err;
    EXPECT_NE(again.err.find("(1 tasks)"), std::string::npos) << again.err;
    EXPECT_EQ(fs::last_write_time(chunks / "chunk_0001.json"), done_before);
    EXPECT_EQ(compare(out, out).frames_a, 48u);
}

}  // namespace
}  // namespace keyswap::test
