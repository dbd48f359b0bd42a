// Round trips through every writer: synthetic RGBA in, MediaWriter/write_image out,
// MediaReader back, compared with what a user of that format expects (lossless formats
// bit-exact in RGB and alpha, lossy ones within a PSNR, frame count and times kept).
#include <gtest/gtest.h>

#include "io_test_helpers.hpp"
#include "keyswap/io/media_writer.hpp"

namespace keyswap::test {
namespace {

constexpr int kW = 96, kH = 64;
// Irregular spacing (ms) so a writer that re-times frames at a constant rate is caught.
const std::vector<std::int64_t> kPtsMs = {0, 40, 80, 160, 200, 240, 330, 370};

struct WriterCase {
    const char* name;
    const char* ext;
    const char* codec;     // "" = the extension's default
    bool alpha;            // the format carries transparency
    int alpha_tolerance;   // max |A difference| when alpha is carried
    double min_rgb_psnr;   // infinity = bit-exact colour
    // libwebp's lossless mode rewrites the colour of fully transparent pixels to compress
    // better (FFmpeg's wrapper has no switch for libwebp's `exact`); those pixels are
    // invisible, so WebP is held to bit-exactness only where alpha > 0.
    bool exact_only_where_visible = false;
};

void PrintTo(const WriterCase& c, std::ostream* os) { *os << c.name; }

constexpr double kExact = std::numeric_limits<double>::infinity();

std::vector<Frame> clip() {
    std::vector<Frame> frames;
    for (std::size_t i = 0; i < kPtsMs.size(); ++i) {
        frames.push_back(synthetic_frame(kW, kH, static_cast<int>(i)));
        frames.back().pts = kPtsMs[i];
    }
    return frames;
}

int max_visible_rgb_diff(const ImageU8& want, const ImageU8& got) {
    if (!want.same_shape(got)) return 256;
    int m = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
        if (i % 4 != 3 && want.data()[i - i % 4 + 3] > 0) m = std::max(m, std::abs(int(want.data()[i]) - int(got.data()[i])));
    return m;
}

void expect_same_picture(const WriterCase& c, const Frame& want, const Frame& got, std::size_t index) {
    SCOPED_TRACE("frame " + std::to_string(index));
    ASSERT_EQ(got.rgba.width(), kW);
    ASSERT_EQ(got.rgba.height(), kH);
    if (c.min_rgb_psnr == kExact && c.exact_only_where_visible) EXPECT_EQ(max_visible_rgb_diff(want.rgba, got.rgba), 0);
    else if (c.min_rgb_psnr == kExact) EXPECT_EQ(max_diff(want.rgba, got.rgba, 0, 2), 0);
    else EXPECT_GE(rgb_psnr(want.rgba, got.rgba), c.min_rgb_psnr);
    if (c.alpha) {
        EXPECT_LE(max_diff(want.rgba, got.rgba, 3, 3), c.alpha_tolerance);
    } else {
        // No alpha in the file: everything comes back opaque.
        ImageU8 opaque = want.rgba;
        for (std::size_t i = 3; i < opaque.size(); i += 4) opaque.data()[i] = 255;
        EXPECT_EQ(max_diff(opaque, got.rgba, 3, 3), 0);
    }
    EXPECT_EQ(got.has_alpha, c.alpha);
}

class VideoRoundTrip : public ::testing::TestWithParam<WriterCase> {};

TEST_P(VideoRoundTrip, KeepsPicturesFrameCountAndTimes) {
    const WriterCase& c = GetParam();
    const auto dir = scratch(std::string("roundtrip-") + c.name);
    const auto file = dir / (std::string("out") + c.ext);
    const auto frames = clip();
    io::VideoParams vp;
    vp.width = kW;
    vp.height = kH;
    vp.tb_num = 1;
    vp.tb_den = 1000;
    io::EncodeOptions eo;
    eo.codec = c.codec;
    {
        io::MediaWriter w(file, vp, eo);
        EXPECT_EQ(w.format().alpha, c.alpha);
        for (auto& f : frames) w.write(f);
        w.finish();
    }
    io::MediaReader reader(file);
    EXPECT_EQ(reader.info().has_alpha, c.alpha);
    std::vector<Frame> got;
    for (Frame f; reader.read(f);) got.push_back(f);
    ASSERT_EQ(got.size(), frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
        expect_same_picture(c, frames[i], got[i], i);
        EXPECT_NEAR(got[i].time, kPtsMs[i] / 1000.0, 0.0005) << "frame " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Writers, VideoRoundTrip,
    ::testing::Values(WriterCase{"ffv1_mkv", ".mkv", "", true, 0, kExact},
                      WriterCase{"qtrle_mov", ".mov", "qtrle", true, 0, kExact},
                      WriterCase{"png_mov", ".mov", "png", true, 0, kExact},
                      // ProRes 4444 keeps alpha at 16 bits (exact after 8-bit rounding), colour in 10-bit YUV.
                      WriterCase{"prores_mov", ".mov", "prores", true, 1, 40.0},
                      // The 4:2:0 codecs lose most on the saturated hard-edged checker (chroma
                      // subsampling), measured 28.3-30 dB at these settings; a wrong matrix or
                      // range costs several dB more than the margin left here.
                      // VP9 codes alpha as a second 4:2:0 picture: lossy in principle (exact on this clip).
                      WriterCase{"vp9_webm", ".webm", "", true, 4, 27.0},
                      WriterCase{"h264_mp4", ".mp4", "", false, 0, 27.0},
                      WriterCase{"h265_mp4", ".mp4", "h265", false, 0, 27.0}),
    [](const auto& info) { return std::string(info.param.name); });

class ImageRoundTrip : public ::testing::TestWithParam<WriterCase> {};

TEST_P(ImageRoundTrip, KeepsPicture) {
    const WriterCase& c = GetParam();
    const auto dir = scratch(std::string("image-") + c.name);
    // Two different frames so a writer that ignores its input can't pass.
    for (int i : {0, 5}) {
        const auto file = dir / ("f" + std::to_string(i) + c.ext);
        const Frame want = synthetic_frame(kW, kH, i);
        io::EncodeOptions eo;
        eo.codec = c.codec;
        io::write_image(file, want, eo);
        io::MediaReader reader(file);
        EXPECT_TRUE(reader.info().is_image);
        EXPECT_EQ(reader.info().has_alpha, c.alpha);
        EXPECT_EQ(reader.info().frames, 1);
        Frame got;
        ASSERT_TRUE(reader.read(got));
        expect_same_picture(c, want, got, static_cast<std::size_t>(i));
        EXPECT_FALSE(reader.read(got)) << "an image has one frame";
    }
}

INSTANTIATE_TEST_SUITE_P(Writers, ImageRoundTrip,
                         ::testing::Values(WriterCase{"png", ".png", "", true, 0, kExact},
                                           WriterCase{"tiff", ".tif", "", true, 0, kExact},
                                           WriterCase{"webp_lossless", ".webp", "", true, 0, kExact, true},
                                           WriterCase{"jpeg", ".jpg", "", false, 0, 30.0}),
                         [](const auto& info) { return std::string(info.param.name); });

// Image sequences are written with FFmpeg image2's default start_number (1), as `ffmpeg -i x
// out_%04d.png` would, so keyswap's output lines up with what users make with FFmpeg; reading
// a pattern finds a first number anywhere from 0 to 4.
TEST(SequenceRoundTrip, PatternWritesOneLosslessFilePerFrameFromOne) {
    const auto dir = scratch("sequence");
    const auto pattern = dir / "f_%04d.png";
    const auto frames = clip();
    io::VideoParams vp;
    vp.width = kW;
    vp.height = kH;
    {
        io::MediaWriter w(pattern, vp);
        for (std::size_t i = 0; i < frames.size(); ++i) {
            Frame f = frames[i];
            f.pts = static_cast<std::int64_t>(i);
            w.write(f);
        }
        w.finish();
    }
    EXPECT_TRUE(fs::exists(dir / "f_0001.png"));
    EXPECT_TRUE(fs::exists(dir / "f_0008.png"));
    EXPECT_FALSE(fs::exists(dir / "f_0000.png"));
    io::ReaderOptions ro;
    ro.sequence_fps = 25;
    const auto got = read_all(pattern, ro);
    ASSERT_EQ(got.size(), frames.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(max_diff(frames[i].rgba, got[i].rgba), 0) << "frame " << i;
        EXPECT_NEAR(got[i].time, i / 25.0, 1e-6);
    }
}

}  // namespace
}  // namespace keyswap::test
