#pragma once
// Helpers shared by the io_* and cli_* tests: synthetic RGBA frames, decoding whole files,
// running the ffmpeg/ffprobe command line tools to make inputs keyswap did not write, and
// checking that a failed run left nothing behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "keyswap/io/media_reader.hpp"
#include "test_support.hpp"

namespace keyswap::test {

namespace fs = std::filesystem;

// Single-quotes a path for the shell (built with append: GCC 12 mis-warns on "'" + string).
inline std::string q(const fs::path& p) {
    std::string s(1, '\'');
    s.append(p.string()).push_back('\'');
    return s;
}

// Frame i of a synthetic clip: smooth gradients (what lossy codecs must keep), a hard-edged
// checker block that moves with i (sharp edges, and frames that differ), and an alpha
// channel with a fully transparent band, a ramp, a partly transparent patch and opaque area.
inline Frame synthetic_frame(int w, int h, int i) {
    Frame f;
    f.rgba = ImageU8(w, h, 4);
    f.has_alpha = true;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const bool checker = x >= 8 + 4 * i && x < 40 + 4 * i && y >= 8 && y < 40 && ((x / 8 + y / 8) % 2 == 0);
            f.rgba.at(x, y, 0) = checker ? 250 : static_cast<std::uint8_t>(x * 255 / (w - 1));
            f.rgba.at(x, y, 1) = checker ? 20 : static_cast<std::uint8_t>(y * 255 / (h - 1));
            f.rgba.at(x, y, 2) = static_cast<std::uint8_t>((x + y + 16 * i) % 256);
            int a = 255;
            if (x < w / 4) a = 0;
            else if (x < w / 2) a = (x - w / 4) * 255 / (w / 4);
            if (y > h - 12 && x > w / 2) a = 128;
            f.rgba.at(x, y, 3) = static_cast<std::uint8_t>(a);
        }
    return f;
}

inline std::vector<Frame> read_all(const fs::path& path, io::ReaderOptions options = {}) {
    options.want_audio = false;
    io::MediaReader r(path, options);
    std::vector<Frame> out;
    for (Frame f; r.read(f);) out.push_back(f);
    return out;
}

// Largest |a-b| over the given channels (first..last inclusive).
inline int max_diff(const ImageU8& a, const ImageU8& b, int first = 0, int last = 3) {
    if (!a.same_shape(b)) return 256;
    int m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const int c = static_cast<int>(i % 4);
        if (c >= first && c <= last) m = std::max(m, std::abs(int(a.data()[i]) - int(b.data()[i])));
    }
    return m;
}

// PSNR of the colour channels only (alpha is judged separately).
inline double rgb_psnr(const ImageU8& a, const ImageU8& b) {
    ImageU8 x = a, y = b;
    for (std::size_t i = 3; i < x.size(); i += 4) x.data()[i] = y.data()[i] = 0;
    return psnr(x, y);
}

// Runs the ffmpeg tools quietly; returns the exit code.
inline int ffmpeg(const std::string& args) {
    return std::system(("ffmpeg -nostdin -hide_banner -loglevel error -y " + args).c_str());
}

inline std::string shell_output(const std::string& cmd) {
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
        ::pclose(p);
    }
    return out;
}

// Start and end of a stream per ffprobe, so durations are judged by a tool other than the
// one under test. `which` is "v:0" or "a:0". MP4 states each stream's duration (its packets
// don't); Matroska/WebM only has packet times and durations.
struct Span {
    double start = 0, end = 0;
    int packets = 0;
    double length() const { return end - start; }
};
inline Span stream_span(const fs::path& file, const std::string& which) {
    const std::string out = shell_output("ffprobe -v error -select_streams " + which +
                                         " -show_entries packet=pts_time,duration_time -of csv=p=0 " + q(file));
    Span s{1e30, -1e30, 0};
    std::size_t pos = 0;
    while (pos < out.size()) {
        const auto nl = out.find('\n', pos);
        const std::string line = out.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? out.size() : nl + 1;
        const auto comma = line.find(',');
        if (comma == std::string::npos) continue;
        const double t = std::atof(line.c_str()), d = std::atof(line.c_str() + comma + 1);
        s.start = std::min(s.start, t);
        s.end = std::max(s.end, t + d);
        ++s.packets;
    }
    if (s.packets == 0) return {};
    const std::string stated = shell_output("ffprobe -v error -select_streams " + which +
                                            " -show_entries stream=start_time,duration -of csv=p=0 " + q(file));
    const auto comma = stated.find(',');
    if (comma != std::string::npos && stated.compare(comma + 1, 3, "N/A") != 0) {
        s.start = std::atof(stated.c_str());
        s.end = s.start + std::atof(stated.c_str() + comma + 1);
    }
    return s;
}

// After a failed run: nothing under the final name and no temporary file beside it.
inline void expect_no_output(const fs::path& output) {
    EXPECT_FALSE(fs::exists(output)) << output;
    const fs::path dir = output.parent_path().empty() ? fs::path(".") : output.parent_path();
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir, ec))
        EXPECT_EQ(e.path().filename().string().find(".partial-"), std::string::npos) << "left behind: " << e.path();
}

// The CLI's error contract: one line on stderr naming the file and the problem.
inline void expect_error(const RunResult& r, int code, const std::string& file, const std::string& problem) {
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_NE(r.err.find(file), std::string::npos) << "message does not name " << file << ": " << r.err;
    EXPECT_NE(r.err.find(problem), std::string::npos) << "message does not say '" << problem << "': " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "expected one line: " << r.err;
}

inline std::string read_bytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}

inline const char* kClip = "video/man-on-green-screen.mp4";

}  // namespace keyswap::test
