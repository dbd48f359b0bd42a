// Failures as a user meets them: each run must exit with the right code (2 = fix the command
// line, 1 = the files, 130 = interrupted), print one line naming the file and the problem,
// and leave nothing under the output name and no temporary file.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "io_test_helpers.hpp"
#include "keyswap/io/media_writer.hpp"

namespace keyswap::test {
namespace {

class ProcessErrors : public ::testing::Test {
protected:
    void SetUp() override { dir = scratch(::testing::UnitTest::GetInstance()->current_test_info()->name()); }

    // Runs `process` from `input` to `output` and checks the error contract.
    void expect_failure(const fs::path& input, const fs::path& output, const std::string& extra, int code,
                        const fs::path& named, const std::string& problem) {
        const auto r = run_cli("process -q -i " + q(input) + " -o " + q(output) + " " + extra);
        expect_error(r, code, named.string(), problem);
        expect_no_output(output);
    }

    fs::path clip_or_skip() {
        if (!has_asset(kClip)) return {};
        return asset(kClip);
    }

    // A valid input for cases where the output side is what fails.
    fs::path small_png() {
        const auto p = dir / "in.png";
        io::write_image(p, synthetic_frame(32, 32, 0));
        return p;
    }

    fs::path write_file(const std::string& name, const std::string& bytes) {
        const auto p = dir / name;
        std::ofstream(p, std::ios::binary) << bytes;
        return p;
    }

    fs::path dir;
};

TEST_F(ProcessErrors, MissingInput) {
    const auto in = dir / "nope.mp4";
    expect_failure(in, dir / "out.mkv", "", 1, in, "file not found");
}

TEST_F(ProcessErrors, RandomBytesNamedMp4) {
    std::string noise(50000, '\0');
    unsigned x = 12345;
    for (auto& c : noise) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
    const auto in = write_file("noise.mp4", noise);
    expect_failure(in, dir / "out.mkv", "", 1, in, "corrupt");
}

TEST_F(ProcessErrors, TruncatedMp4) {
    const auto clip = clip_or_skip();
    if (clip.empty()) GTEST_SKIP() << "missing asset " << kClip;
    // The clip's index (moov) is at its end, so a cut copy has no index at all.
    const auto in = write_file("cut.mp4", read_bytes(clip).substr(0, 200000));
    expect_failure(in, dir / "out.mkv", "", 1, in, "corrupt");
}

// With the index at the front (+faststart) the file opens, and the cut shows up mid-stream.
TEST_F(ProcessErrors, TruncatedFaststartMp4) {
    const auto clip = clip_or_skip();
    if (clip.empty()) GTEST_SKIP() << "missing asset " << kClip;
    const auto whole = dir / "whole.mp4";
    ASSERT_EQ(ffmpeg("-i " + q(clip) + " -t 4 -c copy -movflags +faststart " + q(whole)), 0);
    const std::string bytes = read_bytes(whole);
    const auto in = write_file("cut.mp4", bytes.substr(0, bytes.size() * 6 / 10));
    expect_failure(in, dir / "out.mkv", "", 1, in, "corrupt");
}

TEST_F(ProcessErrors, UnknownOutputExtension) {
    const auto in = small_png();
    const auto out = dir / "out.xyz";
    expect_failure(in, out, "", 2, out, "unknown output extension '.xyz'");
}

TEST_F(ProcessErrors, CodecThatDoesNotFitTheContainer) {
    const auto in = small_png();
    const auto out = dir / "out.mp4";
    expect_failure(in, out, "--codec qtrle", 2, out, "'qtrle' cannot be written to .mp4");
}

TEST_F(ProcessErrors, UnsupportedInputCodec) {
    const auto avi = dir / "mjpeg.avi";
    ASSERT_EQ(ffmpeg("-f lavfi -i testsrc2=s=64x48:r=10:d=0.3 -c:v mjpeg " + q(avi)), 0);
    // Replace the MJPG fourcc (stream header and bitmap header) with one nobody knows.
    std::string bytes = read_bytes(avi);
    int patched = 0;
    for (auto p = bytes.find("MJPG"); p != std::string::npos; p = bytes.find("MJPG", p + 4), ++patched)
        bytes.replace(p, 4, "QQQQ");
    ASSERT_GE(patched, 1);
    const auto in = write_file("unknown.avi", bytes);
    expect_failure(in, dir / "out.mkv", "", 1, in, "unsupported video codec 'QQQQ'");
}

TEST_F(ProcessErrors, ZeroFrameVideo) {
    const auto in = dir / "empty.mkv";
    ASSERT_EQ(ffmpeg("-f lavfi -i color=s=64x48 -frames:v 0 -c:v ffv1 " + q(in)), 0);
    expect_failure(in, dir / "out.mkv", "", 1, in, "no video frames");
}

TEST_F(ProcessErrors, OutputIsTheInput) {
    const auto in = dir / "same.mkv";
    ASSERT_EQ(ffmpeg("-f lavfi -i testsrc2=s=64x48:r=10:d=0.3 -c:v ffv1 " + q(in)), 0);
    const std::string before = read_bytes(in);
    const auto r = run_cli("process -q -i " + q(in) + " -o " + q(dir / "." / "same.mkv"));
    expect_error(r, 2, "same.mkv", "would overwrite the input");
    EXPECT_EQ(read_bytes(in), before) << "the input was modified";
    expect_no_output(dir / "nothing-else.mkv");  // only checks for temporary files
}

TEST_F(ProcessErrors, OutputFolderMissing) {
    const auto in = small_png();
    const auto out = dir / "no" / "such" / "out.mkv";
    expect_failure(in, out, "", 1, out, "output folder does not exist");
}

// Root may write into any mode-0555 folder, so a read-only mount stands in for one.
TEST_F(ProcessErrors, OutputFolderNotWritable) {
    const auto in = small_png();
    const auto ro = dir / "readonly";
    fs::create_directories(ro);
    if (::geteuid() != 0) fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    else if (::mount("tmpfs", ro.c_str(), "tmpfs", MS_RDONLY, "size=64k") != 0)
        GTEST_SKIP() << "running as root without permission to mount a read-only tmpfs";
    const auto out = ro / "out.mkv";
    expect_failure(in, out, "", 1, out, "not writable");
    if (::geteuid() == 0) ::umount(ro.c_str());
}

TEST_F(ProcessErrors, OddSizeFrames) {
    const auto in = dir / "odd.png";
    io::write_image(in, synthetic_frame(63, 47, 0));
    const auto mp4 = dir / "out.mp4";
    expect_failure(in, mp4, "", 2, mp4, "63x47 is odd-sized");
    // Formats without chroma subsampling take any size.
    for (const char* name : {"out.png", "out.mkv"}) {
        const auto r = run_cli("process -q -i " + q(in) + " -o " + q(dir / name));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto frames = read_all(dir / name);
        ASSERT_EQ(frames.size(), 1u);
        EXPECT_EQ(max_diff(frames[0].rgba, read_all(in)[0].rgba), 0) << name;
    }
}

// Starts `keyswap process` in the background, interrupts it once the output's temporary file
// exists (so the run is known to be writing), and waits for it.
struct Interrupted {
    int exit_code = -1;
    std::string err;
};
Interrupted interrupt_process(const fs::path& input, const fs::path& output, const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    const std::string in = input.string(), out = output.string();
    const char* argv[] = {KEYSWAP_CLI, "process", "-q", "-i", in.c_str(), "-o", out.c_str(), nullptr};
    pid_t pid = 0;
    Interrupted result;
    if (posix_spawn(&pid, KEYSWAP_CLI, &actions, nullptr, const_cast<char**>(argv), environ) != 0) return result;
    posix_spawn_file_actions_destroy(&actions);
    auto writing = [&] {
        std::error_code ec;
        for (auto& e : fs::directory_iterator(output.parent_path(), ec))
            if (e.path().filename().string().rfind(output.filename().string() + ".partial-", 0) == 0) return true;
        return false;
    };
    int status = 0;
    while (!writing() && ::waitpid(pid, &status, WNOHANG) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (writing()) {
        ::kill(pid, SIGINT);
        ::waitpid(pid, &status, 0);
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.err = read_bytes(log);
    return result;
}

TEST_F(ProcessErrors, InterruptedRunLeavesNoOutput) {
    const auto clip = clip_or_skip();
    if (clip.empty()) GTEST_SKIP() << "missing asset " << kClip;
    const auto out = dir / "out.mkv";
    const auto r = interrupt_process(clip, out, dir / "stderr.log");
    EXPECT_EQ(r.exit_code, 130) << r.err;
    EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(out.string()), std::string::npos) << r.err;
    expect_no_output(out);
}

// A 200 KB tmpfs fills up on the second 720p FFV1 frame.
TEST_F(ProcessErrors, DiskFull) {
    const auto clip = clip_or_skip();
    if (clip.empty()) GTEST_SKIP() << "missing asset " << kClip;
    const auto small = dir / "small";
    fs::create_directories(small);
    if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=200k") != 0)
        GTEST_SKIP() << "cannot mount a small tmpfs (needs root): " << std::strerror(errno);
    const auto out = small / "out.mkv";
    expect_failure(clip, out, "--frames 0-29", 1, out, "disk full");
    ::umount(small.c_str());
}

}  // namespace
}  // namespace keyswap::test
