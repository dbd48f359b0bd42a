// Review findings, each with a test a regression would fail: the thread pool's exception
// barrier and lifetime, the bounded queue, absurd frame sizes, audio that piled up while
// frames were skipped, encoder options dropped silently, settings that did nothing without a
// word, WebP --quality 100, and '%' in a plain file name.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <stdexcept>

#include "io_test_helpers.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/pipeline/bounded_queue.hpp"

using namespace keyswap;
using namespace keyswap::test;

TEST(ThreadPoolTest, EveryRowRunsExactlyOnce) {
    ThreadPool pool(4);
    std::vector<std::atomic<int>> hits(1001);
    pool.parallel_rows(1001, [&](int b, int e) {
        for (int y = b; y < e; ++y) ++hits[y];
    }, 1);
    for (std::size_t y = 0; y < hits.size(); ++y) ASSERT_EQ(hits[y].load(), 1) << "row " << y;
}

TEST(ThreadPoolTest, AnExceptionInARangeReachesTheCallerAndThePoolStaysUsable) {
    ThreadPool pool(4);
    for (int round = 0; round < 20; ++round) {
        EXPECT_THROW(pool.parallel_rows(400, [&](int b, int e) {
            if (b <= 200 + round && 200 + round < e) throw std::runtime_error("bad row");
        }, 1), std::runtime_error);
    }
    std::atomic<int> rows{0};
    pool.parallel_rows(400, [&](int b, int e) { rows += e - b; }, 1);
    EXPECT_EQ(rows.load(), 400);
}

TEST(ThreadPoolTest, ResizingTheSharedPoolKeepsTheOldOneAlive) {
    ThreadPool::set_shared_threads(2);
    ThreadPool& old = ThreadPool::shared();  // a stage holding its pool, as FramePass does
    ThreadPool::set_shared_threads(3);
    EXPECT_EQ(ThreadPool::shared().size(), 3);
    std::atomic<int> rows{0};
    old.parallel_rows(100, [&](int b, int e) { rows += e - b; }, 1);  // use-after-free before the fix
    EXPECT_EQ(rows.load(), 100);
    ThreadPool::set_shared_threads(0);
}

TEST(BoundedQueueTest, KeepsOrderDrainsAfterCloseAndDropsOldestWhenLive) {
    pipeline::BoundedQueue<int> q(2);
    EXPECT_TRUE(q.push(1));
    EXPECT_TRUE(q.push(2));
    const auto dropped = q.push_latest(3);  // full: the oldest goes
    ASSERT_TRUE(dropped.has_value());
    EXPECT_EQ(*dropped, 1);
    q.close();
    EXPECT_FALSE(q.push(4));  // closed: refused
    EXPECT_EQ(q.pop(), 2);
    EXPECT_EQ(q.pop(), 3);
    EXPECT_EQ(q.pop(), std::nullopt);
}

TEST(BoundedQueueTest, AProducerBlockedOnAFullQueueIsReleasedByClose) {
    pipeline::BoundedQueue<int> q(1);
    ASSERT_TRUE(q.push(1));
    std::atomic<int> result{-1};
    std::thread producer([&] { result = q.push(2) ? 1 : 0; });  // waits: the queue is full
    q.close();
    producer.join();
    EXPECT_EQ(result.load(), 0);
    EXPECT_EQ(q.pop(), 1);
}

TEST(Robustness, AbsurdFrameSizesAreRefusedBeforeAllocating) {
    const auto dir = scratch("absurd");
    const fs::path y4m = dir / "huge.y4m";
    {
        std::ofstream out(y4m, std::ios::binary);
        // Wider than keyswap takes, yet a size FFmpeg itself accepts (16400 x 1000 pixels).
        out << "YUV4MPEG2 W16400 H1000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" << std::string(1024, '\x80');
    }
    try {
        io::MediaReader r(y4m);
        FAIL() << "a 16400x1000 frame was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Input);
        EXPECT_NE(std::string(e.what()).find("16400x1000"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("16384"), std::string::npos) << e.what();
    }
}

TEST(Robustness, AudioDoesNotPileUpWhileFramesBeforeTheRangeAreSkipped) {
    const fs::path clip = asset("video/man-on-green-screen.mp4");  // 30 fps, AAC 44.1 kHz
    if (!fs::exists(clip)) GTEST_SKIP() << "needs ../shared/assets";
    io::ReaderOptions o;
    o.first_frame = 150;  // 5 s of audio (about 215 packets) come before it
    io::MediaReader r(clip, o);
    Frame f;
    ASSERT_TRUE(r.read(f));
    // Only what reaches back to the newest skipped frames is kept: the decoder's look-ahead
    // (well under a second) rather than all five seconds.
    EXPECT_LT(r.audio_backlog(), 60u);
    EXPECT_GT(r.take_audio().size(), 0u);  // the audio of the range is still there
}

TEST(Robustness, WebpQuality100IsLossless) {
    const auto dir = scratch("webp100");
    Frame f = synthetic_frame(64, 48, 0);
    for (int y = 0; y < 48; ++y)
        for (int x = 0; x < 64; ++x) f.rgba.at(x, y, 3) = 255;
    f.has_alpha = false;
    io::EncodeOptions o;
    o.quality = 100;
    io::write_image(dir / "q100.webp", f, o);
    const Frame back = io::read_image(dir / "q100.webp");
    EXPECT_EQ(max_diff(back.rgba, f.rgba, 0, 4), 0);
    o.quality = 60;
    io::write_image(dir / "q60.webp", f, o);
    EXPECT_GT(max_diff(io::read_image(dir / "q60.webp").rgba, f.rgba), 0);  // lossy really is lossy
}

namespace {
fs::path small_png(const fs::path& dir, const std::string& name) {
    const fs::path p = dir / name;
    io::write_image(p, synthetic_frame(64, 48, 0));
    return p;
}
}  // namespace

TEST(Robustness, IgnoredSettingsAndRejectedEncoderOptionsAreReported) {
    const auto dir = scratch("ignored");
    const fs::path in = small_png(dir, "in.png");
    auto r = run_cli("process -q -i " + q(in) + " -o " + q(dir / "out.png") + " --light-wrap --crf 20 --preset slow");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("--light-wrap does nothing without --background"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--crf applies to h264, h265 and vp9; png ignores it"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--preset applies to"), std::string::npos) << r.err;
    // No keying and an input without alpha: there is no matte to write.
    Frame opaque = synthetic_frame(64, 48, 0);
    for (int y = 0; y < 48; ++y)
        for (int x = 0; x < 64; ++x) opaque.rgba.at(x, y, 3) = 255;
    opaque.has_alpha = false;
    io::write_image(dir / "opaque.jpg", opaque);
    r = run_cli("process -q -i " + q(dir / "opaque.jpg") + " -o " + q(dir / "out2.png") + " --debug-matte " + q(dir / "m.png"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("--debug-matte is not written"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "m.png"));
    // With an input that has alpha, that alpha is the matte: no warning, the file is written.
    r = run_cli("process -q -i " + q(in) + " -o " + q(dir / "out2.png") + " --debug-matte " + q(dir / "m.png"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(fs::exists(dir / "m.png"));
    // The VP9 encoder's deadline takes realtime|good|best: anything else was dropped silently.
    r = run_cli("process -q -i " + q(in) + " -o " + q(dir / "out.webm") + " --preset fastest");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("rejected deadline=fastest"), std::string::npos) << r.err;
    // A clean run says nothing.
    r = run_cli("process -q -i " + q(in) + " -o " + q(dir / "out3.png"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
}

TEST(Robustness, APercentInAPlainFileNameIsNotASequence) {
    const auto dir = scratch("percent");
    const fs::path in = small_png(dir, "50%_mix.png");
    const auto r = run_cli("process -q -i " + q(in) + " -o " + q(dir / "out_100%.png"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(dir / "out_100%.png"));
    EXPECT_EQ(max_diff(io::read_image(dir / "out_100%.png").rgba, io::read_image(in).rgba, 0, 4), 0);
}
