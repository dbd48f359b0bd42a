// Reading what other tools write: deep and grey PNGs, full-range JPEG, H.264 tagged with
// different matrices and ranges, printf-pattern sequences, variable frame rate.
// Inputs are made with OpenCV or the ffmpeg CLI so keyswap's own writer is not the judge.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "io_test_helpers.hpp"

namespace keyswap::test {
namespace {

struct Rgb {
    int r, g, b;
};

// Every pixel of the frame within `tol` levels of `want` (alpha opaque).
void expect_flat(const Frame& f, Rgb want, int tol) {
    ASSERT_FALSE(f.rgba.empty());
    int worst = 0;
    for (int y = 0; y < f.rgba.height(); ++y)
        for (int x = 0; x < f.rgba.width(); ++x) {
            worst = std::max({worst, std::abs(f.rgba.at(x, y, 0) - want.r), std::abs(f.rgba.at(x, y, 1) - want.g),
                              std::abs(f.rgba.at(x, y, 2) - want.b)});
            ASSERT_EQ(f.rgba.at(x, y, 3), 255);
        }
    EXPECT_LE(worst, tol) << "want " << want.r << "," << want.g << "," << want.b << " got " << int(f.rgba.at(0, 0, 0))
                          << "," << int(f.rgba.at(0, 0, 1)) << "," << int(f.rgba.at(0, 0, 2));
}

TEST(ReadImage, SixteenBitPngIsScaledToEightBit) {
    const auto dir = scratch("read-16bit");
    // OpenCV stores BGR(A); 16-bit v maps to round(v / 257) in 8 bits.
    cv::Mat rgb(8, 8, CV_16UC3, cv::Scalar(0xFFFF, 0x8080, 0x1234));
    cv::Mat rgba(8, 8, CV_16UC4, cv::Scalar(0x0000, 0x4040, 0xC0C0, 0x8000));
    ASSERT_TRUE(cv::imwrite((dir / "rgb16.png").string(), rgb));
    ASSERT_TRUE(cv::imwrite((dir / "rgba16.png").string(), rgba));
    const Frame a = io::read_image(dir / "rgb16.png");
    expect_flat(a, {0x12, 0x80, 0xFF}, 1);
    const Frame b = io::read_image(dir / "rgba16.png");
    EXPECT_NEAR(b.rgba.at(3, 3, 0), 0xC0, 1);
    EXPECT_NEAR(b.rgba.at(3, 3, 1), 0x40, 1);
    EXPECT_NEAR(b.rgba.at(3, 3, 2), 0x00, 1);
    EXPECT_NEAR(b.rgba.at(3, 3, 3), 0x80, 1);
    EXPECT_TRUE(b.has_alpha);
}

TEST(ReadImage, GreyPngGivesEqualChannels) {
    const auto dir = scratch("read-grey");
    cv::Mat grey(4, 256, CV_8UC1);
    for (int x = 0; x < 256; ++x) grey.col(x).setTo(x);
    ASSERT_TRUE(cv::imwrite((dir / "grey.png").string(), grey));
    const Frame f = io::read_image(dir / "grey.png");
    for (int x = 0; x < 256; ++x) {
        ASSERT_EQ(f.rgba.at(x, 2, 0), x);
        ASSERT_EQ(f.rgba.at(x, 2, 1), x);
        ASSERT_EQ(f.rgba.at(x, 2, 2), x);
        ASSERT_EQ(f.rgba.at(x, 2, 3), 255);
    }
    EXPECT_FALSE(f.has_alpha);
}

// A flat colour made by ffmpeg's lavfi colour source and converted to YUV by ffmpeg with an
// explicit matrix and range, then tagged the same way: decoding must undo exactly that.
struct TaggedCase {
    const char* name;
    const char* size;    // the size decides keyswap's fallback matrix, so use the "wrong" one
    const char* matrix;  // ffmpeg's name
    const char* range;   // tv | pc
    const char* ext;
    const char* codec_args;
};

void PrintTo(const TaggedCase& c, std::ostream* os) { *os << c.name; }

class TaggedColour : public ::testing::TestWithParam<TaggedCase> {};

TEST_P(TaggedColour, DecodesToTheTrueColour) {
    const TaggedCase& c = GetParam();
    const auto dir = scratch(std::string("tagged-") + c.name);
    const auto file = dir / (std::string("flat") + c.ext);
    // Built piecewise: GCC 12 mis-warns (-Wrestrict) on one long chain of string + char*.
    const std::string tag_matrix = std::string(c.matrix) == "bt601" ? "smpte170m" : c.matrix;
    std::string args = "-f lavfi -i color=c=0x20C040:s=";
    args += c.size;
    // format=rgb24 first: the colour source would otherwise emit YUV itself (always BT.601).
    args += ":r=25 -frames:v 2 -vf format=rgb24,scale=out_color_matrix=";
    args += c.matrix;
    args += ":out_range=";
    args += c.range;
    args += " ";
    args += c.codec_args;
    args += " -colorspace " + tag_matrix + " -color_range " + c.range + " " + q(file);
    ASSERT_EQ(ffmpeg(args), 0);
    const auto frames = read_all(file);
    ASSERT_FALSE(frames.empty());
    // A key-green: decoding with the other matrix moves it by 12-25 levels, with the other
    // range by 15+. ffmpeg's own RGB->YUV step is off by up to 3, hence the tolerance.
    expect_flat(frames.front(), {0x20, 0xC0, 0x40}, 4);
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, TaggedColour,
    ::testing::Values(TaggedCase{"h264_bt709_tv_sd", "320x180", "bt709", "tv", ".mp4", "-pix_fmt yuv420p -c:v libx264 -qp 0"},
                      TaggedCase{"h264_bt601_tv_hd", "1280x720", "bt601", "tv", ".mp4", "-pix_fmt yuv420p -c:v libx264 -qp 0"},
                      TaggedCase{"h264_bt709_pc", "320x180", "bt709", "pc", ".mp4", "-pix_fmt yuv420p -c:v libx264 -qp 0"},
                      TaggedCase{"jpeg_full_range", "64x64", "bt601", "pc", ".jpg", "-pix_fmt yuvj420p -q:v 2 -update 1"}),
    [](const auto& info) { return std::string(info.param.name); });

// Every decoded frame says how its source stored chroma and with which matrix, so the keyer
// rebuilds chroma only where subsampling took it (matte/chroma_restore.hpp).
TEST(ReadChromaSampling, FramesSayHowTheSourceStoredChroma) {
    const auto dir = scratch("read-chroma");
    struct Case {
        const char* file;
        const char* args;
        int bw, bh;
        float kr;
    };
    const Case cases[] = {
        {"420_709.mp4", "-pix_fmt yuv420p -c:v libx264 -colorspace bt709", 2, 2, 0.2126f},
        {"420_601.mp4", "-pix_fmt yuv420p -c:v libx264 -colorspace smpte170m", 2, 2, 0.299f},
        {"422.mp4", "-pix_fmt yuv422p -c:v libx264 -colorspace bt709", 2, 1, 0.2126f},
        {"444.mp4", "-pix_fmt yuv444p -c:v libx264 -colorspace bt709", 1, 1, 0.2126f},
        {"photo.jpg", "-pix_fmt yuvj420p -update 1", 2, 2, 0.299f},
        {"rgb.png", "-pix_fmt rgb24 -update 1", 1, 1, 0.f},
    };
    for (const Case& c : cases) {
        ASSERT_EQ(ffmpeg(std::string("-f lavfi -i testsrc2=s=64x48:r=10 -frames:v 2 ") + c.args + " " + q(dir / c.file)), 0)
            << c.file;
        const auto frames = read_all(dir / c.file);
        ASSERT_FALSE(frames.empty()) << c.file;
        const ChromaSampling& s = frames.front().chroma;
        EXPECT_EQ(s.block_w, c.bw) << c.file;
        EXPECT_EQ(s.block_h, c.bh) << c.file;
        if (c.kr > 0.f) {
            EXPECT_NEAR(s.kr, c.kr, 1e-4) << c.file;
        }
    }
    EXPECT_FALSE(io::read_image(dir / "rgb.png").chroma.subsampled());
    EXPECT_TRUE(io::read_image(dir / "photo.jpg").chroma.subsampled());
}

TEST(ReadSequence, PrintfPatternReadsEveryFileInOrder) {
    const auto dir = scratch("read-sequence");
    // ffmpeg numbers from 1 by default; the reader must find that start on its own.
    ASSERT_EQ(ffmpeg("-f lavfi -i testsrc2=s=64x48:r=10 -frames:v 6 " + q(dir / "img_%03d.png")), 0);
    const auto reference = read_all(dir / "img_003.png");
    ASSERT_EQ(reference.size(), 1u);
    io::ReaderOptions ro;
    ro.sequence_fps = 10;
    const auto frames = read_all(dir / "img_%03d.png", ro);
    ASSERT_EQ(frames.size(), 6u);
    EXPECT_EQ(max_diff(frames[2].rgba, reference[0].rgba), 0) << "third frame is img_003.png";
    EXPECT_GT(max_diff(frames[2].rgba, frames[3].rgba), 0);
    EXPECT_NEAR(frames[5].time, 0.5, 1e-6);
}

std::vector<double> times(const std::vector<Frame>& frames) {
    std::vector<double> t;
    for (auto& f : frames) t.push_back(f.time);
    return t;
}

// Irregular frame times survive `keyswap process`, for a lossless and a lossy container.
TEST(ReadVariableFrameRate, ProcessKeepsEveryTimestamp) {
    const auto dir = scratch("read-vfr");
    const auto input = dir / "vfr.mkv";
    // Drops frames 3-5 and 9 of a 25 fps source and keeps the rest where they were.
    ASSERT_EQ(ffmpeg("-f lavfi -i testsrc2=s=64x48:r=25:d=0.64 -vf \"select='not(between(n,3,5)+eq(n,9))'\" "
                     "-fps_mode vfr -c:v ffv1 " + q(input)),
              0);
    const auto in_times = times(read_all(input));
    ASSERT_EQ(in_times.size(), 12u);
    ASSERT_NEAR(in_times[3] - in_times[2], 0.16, 1e-3) << "the input is not variable-rate";
    for (const char* ext : {".mkv", ".mp4", ".mov"}) {
        SCOPED_TRACE(ext);
        const auto output = dir / (std::string("out") + ext);
        const auto r = run_cli("process -q -i " + q(input) + " -o " + q(output));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto out_times = times(read_all(output));
        ASSERT_EQ(out_times.size(), in_times.size());
        for (std::size_t i = 0; i < in_times.size(); ++i) EXPECT_NEAR(out_times[i], in_times[i], 1e-3) << "frame " << i;
    }
}

}  // namespace
}  // namespace keyswap::test
