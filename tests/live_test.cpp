// keyswap live, through the same code paths a camera and a network use, with files and
// loopback networking on 127.0.0.1 (no camera or kernel module exists in CI).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "face_test_util.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/face/detector.hpp"
#include "keyswap/io/live_input.hpp"
#include "keyswap/io/live_output.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/pipeline/live_slot.hpp"
#include "keyswap/pipeline/live_stats.hpp"
#include "test_support.hpp"

extern "C" {
#include <libavcodec/packet.h>
}

extern char** environ;

namespace keyswap {
namespace {

namespace fs = std::filesystem;
using test::asset;
using test::has_asset;
using test::run_cli;

// Built by appending: GCC 12's -Wrestrict misfires on "'" + std::string at -O3.
std::string q(const fs::path& p) {
    std::string s(1, '\'');
    s += p.string();
    s += '\'';
    return s;
}

// A port nothing listens on right now (the kernel's pick).
int free_port(int type) {
    const int s = ::socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t n = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
    ::close(s);
    return ntohs(a.sin_port);
}

constexpr int kW = 640, kH = 480;
constexpr int kPhotoX = 176, kPhotoY = 60, kPhotoW = 288, kPhotoH = 360;

// One frame: a portrait photo in the middle of a green screen.
Frame green_frame() {
    const ImageU8 photo = test::load_rgba("faces/obama.jpg");
    cv::Mat src(photo.height(), photo.width(), CV_8UC4, const_cast<std::uint8_t*>(photo.data()));
    cv::Mat small;
    cv::resize(src, small, cv::Size(kPhotoW, kPhotoH), 0, 0, cv::INTER_AREA);
    Frame f;
    f.rgba = ImageU8(kW, kH, 4);
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) {
            std::uint8_t* p = &f.rgba.at(x, y);
            p[0] = 40, p[1] = 190, p[2] = 70, p[3] = 255;
        }
    for (int y = 0; y < kPhotoH; ++y) std::memcpy(&f.rgba.at(kPhotoX, kPhotoY + y), small.ptr(y), kPhotoW * 4);
    return f;
}

// A 2 s, 30 fps clip of that frame (every frame the same, so any received frame can be
// compared with it whatever was dropped on the way).
fs::path green_clip(const fs::path& dir) {
    const fs::path clip = dir / "green.mp4";
    io::VideoParams vp;
    vp.width = kW;
    vp.height = kH;
    vp.fps_num = 30;
    vp.tb_den = 30;
    io::EncodeOptions e;
    e.crf = 12;
    io::MediaWriter w(clip, vp, e);
    Frame f = green_frame();
    for (int i = 0; i < 60; ++i) {
        f.pts = i;
        w.write(f);
    }
    w.finish();
    return clip;
}

struct Mean {
    double r = 0, g = 0, b = 0, a = 0;
};
Mean mean_of(const ImageU8& img, int x0, int y0, int w, int h) {
    Mean m;
    for (int y = y0; y < y0 + h; ++y)
        for (int x = x0; x < x0 + w; ++x) {
            const std::uint8_t* p = &img.at(x, y);
            m.r += p[0], m.g += p[1], m.b += p[2], m.a += p[3];
        }
    const double n = double(w) * h;
    return {m.r / n, m.g / n, m.b / n, m.a / n};
}
double region_diff(const ImageU8& a, const ImageU8& b, const cv::Rect& r) {
    double s = 0;
    for (int y = r.y; y < r.y + r.height; ++y)
        for (int x = r.x; x < r.x + r.width; ++x)
            for (int c = 0; c < 3; ++c) s += std::abs(int(a.at(x, y, c)) - int(b.at(x, y, c)));
    return s / (3.0 * r.area());
}

nlohmann::json read_json(const fs::path& p) {
    std::ifstream f(p);
    return nlohmann::json::parse(f);
}

// Reads a network stream on its own thread until told to stop; keeps the last frame.
struct Receiver {
    std::atomic<bool> stop{false};
    std::atomic<int> frames{0};
    Frame last;
    std::string error;
    std::thread thread;
    explicit Receiver(const std::string& url) {
        thread = std::thread([this, url] {
            try {
                io::LiveInputOptions o;
                o.timeout_s = 30;
                io::LiveInput in(url, o, &stop);
                Frame f;
                io::SteadyTime t;
                while (in.read(f, t)) {
                    last.rgba = f.rgba;
                    ++frames;
                }
            } catch (const Error& e) {
                if (e.kind() != ErrorKind::Interrupted) error = e.what();
            }
        });
    }
    void finish() {
        stop = true;
        thread.join();
    }
};

const char* kSkip = "needs ../shared/assets";

TEST(LiveSlot, NewestWinsAndCountsWhatItReplaced) {
    pipeline::NewestSlot<int> slot;
    EXPECT_FALSE(slot.put(1).has_value());
    const auto dropped = slot.put(2);
    ASSERT_TRUE(dropped.has_value());
    EXPECT_EQ(*dropped, 1);
    EXPECT_EQ(slot.take().value(), 2);
    slot.put(3);
    slot.close();
    EXPECT_EQ(slot.take().value(), 3);  // what was there when it closed is still handed out
    EXPECT_FALSE(slot.take().has_value());
}

TEST(LiveStats, PercentilesAreNearestRank) {
    std::vector<double> v;
    for (int i = 100; i >= 1; --i) v.push_back(i);
    const auto s = pipeline::summarize(v);
    EXPECT_EQ(s.count, 100);
    EXPECT_DOUBLE_EQ(s.p50, 50);
    EXPECT_DOUBLE_EQ(s.p95, 95);
    EXPECT_DOUBLE_EQ(s.p99, 99);
    EXPECT_DOUBLE_EQ(s.max, 100);
    EXPECT_DOUBLE_EQ(s.mean, 50.5);
}

TEST(LiveOutputSpec, PicksContainerAndCodecPerTarget) {
    io::LiveEncodeOptions o;
    const auto udp = io::parse_live_output("udp://127.0.0.1:5000", o);
    EXPECT_EQ(udp.muxer, "mpegts");
    EXPECT_EQ(udp.encoder, "libx264");
    EXPECT_TRUE(udp.network);
    EXPECT_EQ(io::parse_live_output("rtmp://host/app/key", o).muxer, "flv");
    const auto webm = io::parse_live_output("webm:tcp://127.0.0.1:9000?listen=1", o);
    EXPECT_TRUE(webm.alpha);
    EXPECT_EQ(webm.encoder, "libvpx-vp9");
    EXPECT_EQ(io::parse_live_output("nut:/tmp/x.nut", o).pix_fmt, "bgra");
    EXPECT_EQ(io::parse_live_output("null:", o).kind, io::LiveOutputKind::Null);
}

TEST(LiveCli, BadOutputsAndInputsSayWhatToDo) {
    const std::string null_in = "-i udp://127.0.0.1:9 --input-timeout 1 --reconnect 0 ";
    auto r = run_cli("live " + null_in + "-o v4l2:/dev/video97");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("modprobe v4l2loopback"), std::string::npos) << r.err;
    r = run_cli("live " + null_in + "-o foo://127.0.0.1:1");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown output protocol"), std::string::npos) << r.err;
    r = run_cli("live " + null_in + "-o /nonexistent-folder/rec.mkv");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("folder does not exist"), std::string::npos) << r.err;
    // A device node that is not a v4l2loopback device (here a plain file) refuses the format.
    const auto dir = test::scratch("live-bad");
    const auto not_a_device = dir / "video42";
    std::ofstream(not_a_device) << "x";
    r = run_cli("live -i " + q(asset("video/man-on-green-screen.mp4")) + " --realtime -o " + q("v4l2:" + not_a_device.string()));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("modprobe v4l2loopback"), std::string::npos) << r.err;
    r = run_cli("live -i /dev/video97 -o null:");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no such camera"), std::string::npos) << r.err;
    r = run_cli("live -i " + q(asset("video/man-on-green-screen.mp4")) + " -o null:");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--realtime"), std::string::npos) << r.err;
}

TEST(LiveCli, UnreachableInputsFailClearlyInsteadOfHanging) {
    // Nothing sends to this port: the open gives up after --input-timeout.
    const int port = free_port(SOCK_DGRAM);
    auto r = run_cli("live -i udp://127.0.0.1:" + std::to_string(port) + " --input-timeout 1 --reconnect 0 -o null:");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no data for 1 s"), std::string::npos) << r.err;
    // Nothing listens on this port: refused at once.
    const int tcp = free_port(SOCK_STREAM);
    r = run_cli("live -i tcp://127.0.0.1:" + std::to_string(tcp) + " --input-timeout 2 --reconnect 0 -o null:");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("connection refused"), std::string::npos) << r.err;
}

TEST(LiveCli, KeyedSwappedFramesArriveOverUdpWithLatencyStats) {
    if (!has_asset("faces/obama.jpg") || !has_asset("faces/astronaut.png")) GTEST_SKIP() << kSkip;
    const auto dir = test::scratch("live-udp");
    const fs::path clip = green_clip(dir);
    const int port = free_port(SOCK_DGRAM);
    const std::string url = "udp://127.0.0.1:" + std::to_string(port);
    Receiver rx(url);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the receiver's socket is open
    const auto stats = dir / "stats.json";
    const auto r = run_cli("live -q -i " + q(clip) + " --realtime --loop --duration 3 --key auto --background '#0000FF' --source " +
                           q(asset("faces/astronaut.png")) + " -o " + url + " --stats-json " + q(stats));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    rx.finish();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("final stats"), std::string::npos);
    ASSERT_TRUE(rx.error.empty()) << rx.error;
    ASSERT_GT(rx.frames.load(), 30) << "frames received over UDP";
    const ImageU8& got = rx.last.rgba;
    ASSERT_EQ(got.width(), kW);
    ASSERT_EQ(got.height(), kH);
    // Keyed: the green screen became the blue background; the photo stayed.
    const Mean corner = mean_of(got, 8, 8, 48, 48);
    EXPECT_GT(corner.b, 200);
    EXPECT_LT(corner.g, 50);
    const Frame input = green_frame();
    const Mean shirt = mean_of(got, kPhotoX + 40, kPhotoY + kPhotoH - 40, 60, 30);
    const Mean shirt_in = mean_of(input.rgba, kPhotoX + 40, kPhotoY + kPhotoH - 40, 60, 30);
    EXPECT_NEAR(shirt.r, shirt_in.r, 20);
    EXPECT_NEAR(shirt.g, shirt_in.g, 20);
    // Swapped: the face changed far more than the rest of the photo (compression alone).
    auto det = face::FaceDetector::create({}, 800);
    const auto faces = det->detect(input.rgba.view());
    ASSERT_FALSE(faces.empty());
    const cv::Rect box = cv::Rect(faces[0].box) & cv::Rect(0, 0, kW, kH);
    const cv::Rect inner(box.x + box.width / 4, box.y + box.height / 4, box.width / 2, box.height / 2);
    const double face_diff = region_diff(got, input.rgba, inner);
    const double rest_diff = region_diff(got, input.rgba, cv::Rect(kPhotoX + 20, kPhotoY + kPhotoH - 60, 80, 50));
    EXPECT_GT(face_diff, rest_diff + 6) << "face " << face_diff << " rest " << rest_diff;

    // Latency stats: produced, and within the bound stated in docs/LIVE.md for CI (a shared
    // 2-core machine running other builds: 250 ms p99 capture -> hand-off at 640x480).
    const auto j = read_json(stats);
    EXPECT_GT(j["frames_out"].get<int>(), 45);
    EXPECT_GT(j["latency_capture_to_handoff"]["count"].get<int>(), 45);
    EXPECT_LT(j["latency_capture_to_handoff"]["p99_ms"].get<double>(), 250.0);
    EXPECT_GT(j["stage_ms"]["pass"].get<double>(), 0.0);
    EXPECT_EQ(j["outputs"][0]["name"], url);
    EXPECT_GT(j["outputs"][0]["written"].get<int>(), 45);
}

TEST(LiveCli, TransparentOutputsKeepAlphaThroughLibavformat) {
    if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << kSkip;
    const auto dir = test::scratch("live-alpha");
    const fs::path clip = green_clip(dir);
    const auto webm = dir / "alpha.webm", nut = dir / "alpha.nut";
    const auto r = run_cli("live -q -i " + q(clip) + " --realtime --duration 1.5 --key auto -o " + q("webm:" + webm.string()) +
                           " -o " + q("nut:" + nut.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& p : {webm, nut}) {
        io::MediaReader reader(p);
        EXPECT_TRUE(reader.info().has_alpha) << p;
        Frame f, last;
        int n = 0;
        while (reader.read(f)) last.rgba = f.rgba, ++n;
        ASSERT_GT(n, 10) << p;
        EXPECT_LT(mean_of(last.rgba, 8, 8, 48, 48).a, 20) << p << ": the green screen is transparent";
        EXPECT_GT(mean_of(last.rgba, kPhotoX + 100, kPhotoY + 150, 80, 80).a, 235) << p << ": the person is opaque";
    }
}

TEST(LiveCli, TransparentResultToAnOutputWithoutAlphaIsRefused) {
    if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << kSkip;
    const auto dir = test::scratch("live-noalpha");
    const fs::path clip = green_clip(dir);
    const auto r = run_cli("live -q -i " + q(clip) + " --realtime --key auto -o udp://127.0.0.1:9");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no alpha channel"), std::string::npos) << r.err;
}

// Accepts one connection and reads it at a trickle: a receiver that cannot keep up.
struct SlowTcpReceiver {
    int listener = -1, port = 0;
    std::atomic<bool> stop{false};
    std::atomic<long> bytes{0};
    std::thread thread;
    SlowTcpReceiver() {
        listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int small = 64 * 1024;
        ::setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t n = sizeof a;
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &n);
        port = ntohs(a.sin_port);
        ::listen(listener, 1);
        thread = std::thread([this] {
            const int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            std::vector<char> buf(256 * 1024);
            while (!stop) {
                const ssize_t got = ::recv(c, buf.data(), buf.size(), 0);
                if (got <= 0) break;
                bytes += got;
                std::this_thread::sleep_for(std::chrono::milliseconds(40));  // ~6 MB/s: ~5 of 30 frames
            }
            ::close(c);
        });
    }
    void finish() {
        stop = true;
        ::shutdown(listener, SHUT_RDWR);
        ::close(listener);
        thread.join();
    }
};

TEST(LiveCli, SlowReceiverDropsFramesInsteadOfBuildingLatency) {
    if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << kSkip;
    const auto dir = test::scratch("live-slow");
    const fs::path clip = green_clip(dir);
    SlowTcpReceiver slow;
    const int udp = free_port(SOCK_DGRAM);
    const auto stats = dir / "stats.json";
    // Uncompressed BGRA (1.2 MB a frame) to the slow receiver; H.264 over UDP beside it.
    const std::string slow_out = "nut:tcp://127.0.0.1:" + std::to_string(slow.port);
    const std::string fast_out = "udp://127.0.0.1:" + std::to_string(udp);
    const auto r = run_cli("live -q -i " + q(clip) + " --realtime --loop --duration 4 --key auto --background '#0000FF' -o " + slow_out +
                           " -o " + fast_out + " --input-timeout 10 --stats-json " + q(stats));
    slow.finish();
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = read_json(stats);
    const int processed = j["frames_out"].get<int>();
    const auto& s = j["outputs"][0];
    const auto& f = j["outputs"][1];
    EXPECT_GT(processed, 90);
    // The slow one dropped frames; each frame was either sent or dropped, none piled up.
    EXPECT_GT(s["dropped"].get<int>(), processed / 3) << s.dump();
    EXPECT_GE(s["written"].get<int>() + s["dropped"].get<int>(), processed - 3) << s.dump();
    EXPECT_LT(s["latency_capture_to_sent"]["p99_ms"].get<double>(), 1500.0) << s.dump();
    // The fast one never waited for it.
    EXPECT_GE(f["written"].get<int>(), processed * 9 / 10) << f.dump();
    EXPECT_LT(f["latency_capture_to_sent"]["p99_ms"].get<double>(), 300.0) << f.dump();
    EXPECT_LT(j["latency_capture_to_handoff"]["p99_ms"].get<double>(), 250.0);
}

TEST(LiveCli, FileAudioReachesTheRecordingInSync) {
    const std::string clip = "video/man-on-green-screen.mp4";  // 720p30 with AAC audio
    if (!has_asset(clip)) GTEST_SKIP() << kSkip;
    const auto dir = test::scratch("live-audio");
    const auto rec = dir / "rec.mkv";
    const auto r = run_cli("live -q -i " + q(asset(clip)) + " --realtime --duration 2.5 -o " +
                           q(rec));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    io::MediaReader reader(rec);
    ASSERT_TRUE(reader.info().has_audio);
    Frame f;
    double first_video = -1, last_video = 0;
    double first_audio = 1e9, last_audio = 0;
    const double atb = double(reader.audio_tb_num()) / reader.audio_tb_den();
    auto take = [&] {
        for (const auto& a : reader.take_audio()) {
            const AVPacket* p = a.packet.get();
            first_audio = std::min(first_audio, p->pts * atb);
            last_audio = std::max(last_audio, (p->pts + p->duration) * atb);
        }
    };
    int n = 0;
    while (reader.read(f)) {
        if (first_video < 0) first_video = f.time;
        last_video = f.time;
        ++n;
        take();
    }
    take();
    ASSERT_GE(n, 5);
    // The audio covers the same stretch of the input as the frames (dropped frames leave gaps
    // in the video, never a shift between the two).
    EXPECT_NEAR(first_audio, first_video, 0.1);
    EXPECT_NEAR(last_audio, last_video, 0.35);
    EXPECT_GT(last_audio - first_audio, 1.0);
}

TEST(LiveCli, MaxLatencyDropsFramesOlderThanTheBound) {
    const std::string clip = "video/man-on-green-screen.mp4";
    if (!has_asset(clip)) GTEST_SKIP() << kSkip;
    const auto dir = test::scratch("live-maxlat");
    const auto stats = dir / "stats.json";
    // 0.01 ms: every frame is older than that by the time its output reaches it.
    const auto r = run_cli("live -q -i " + q(asset(clip)) + " --realtime --duration 1.5 --no-audio --max-latency 0.01 -o null: --stats-json " +
                           q(stats));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = read_json(stats);
    const int dropped = j["outputs"][0]["dropped"].get<int>() + j["dropped_late"].get<int>();
    EXPECT_EQ(j["outputs"][0]["written"].get<int>(), 0);
    EXPECT_GT(dropped, 20);
}

// Accepts one connection, reads it for a while, then goes away for good. (Sockets are
// close-on-exec: a CLI started by the test must not inherit the listener and keep it alive.)
struct VanishingTcpReceiver {
    int listener = -1, port = 0;
    std::thread thread;
    VanishingTcpReceiver() {
        listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t n = sizeof a;
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &n);
        port = ntohs(a.sin_port);
        ::listen(listener, 1);
        thread = std::thread([this] {
            const int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            ::close(listener);  // nobody will accept a reconnection
            if (c < 0) return;
            std::vector<char> buf(256 * 1024);
            const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
            while (std::chrono::steady_clock::now() < until && ::recv(c, buf.data(), buf.size(), 0) > 0) {
            }
            ::close(c);
        });
    }
    ~VanishingTcpReceiver() { thread.join(); }
};

TEST(LiveCli, ReceiverThatGoesAwayIsRetriedThenDroppedWhileOthersGoOn) {
    if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << kSkip;
    const auto dir = test::scratch("live-gone");
    const fs::path clip = green_clip(dir);
    VanishingTcpReceiver rx;
    const int udp = free_port(SOCK_DGRAM);
    const auto stats = dir / "stats.json";
    const std::string gone = "mpegts:tcp://127.0.0.1:" + std::to_string(rx.port);
    const auto r = run_cli("live -q -i " + q(clip) + " --realtime --loop --duration 4 --reconnect 2 --input-timeout 1 -o " + gone +
                           " -o udp://127.0.0.1:" + std::to_string(udp) + " --stats-json " + q(stats));
    // The run went on to its end and then said the output stopped early.
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("reopening in"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("output stopped early"), std::string::npos) << r.err;
    const auto j = read_json(stats);
    EXPECT_EQ(j["outputs"][0]["reconnects"].get<int>(), 2) << j["outputs"][0].dump();
    EXPECT_EQ(j["outputs"][0]["state"].get<std::string>().rfind("failed", 0), 0u);
    EXPECT_GE(j["outputs"][1]["written"].get<int>(), j["frames_out"].get<int>() * 9 / 10);
    EXPECT_GT(j["seconds"].get<double>(), 3.5);
}

// Starts the CLI without waiting; stderr goes to `err`.
pid_t spawn_cli(const std::vector<std::string>& args, const fs::path& err) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> all{KEYSWAP_CLI};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    posix_spawn(&pid, KEYSWAP_CLI, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

int wait_exit(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string slurp(const fs::path& p) {
    std::ifstream f(p);
    return {std::istreambuf_iterator<char>(f), {}};
}

TEST(LiveCli, SigintStopsCleanlyClosesRecordingsAndPrintsStats) {
    if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << kSkip;
    const auto dir = test::scratch("live-sigint");
    const fs::path clip = green_clip(dir);
    const auto rec = dir / "rec.mkv", err = dir / "err.txt";
    const pid_t pid = spawn_cli({"live", "-q", "-i", clip.string(), "--realtime", "--loop", "--key", "auto", "--background", "#0000FF",
                                 "-o", rec.string()},
                                err);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    ::kill(pid, SIGINT);
    EXPECT_EQ(wait_exit(pid), 0) << slurp(err);
    EXPECT_NE(slurp(err).find("final stats"), std::string::npos) << slurp(err);
    // The recording was finished properly: it opens and has frames.
    const auto info = io::probe(rec, true);
    EXPECT_GT(info.frames, 5);
}

TEST(LiveCli, WatchedSettingsFileChangesTheLookWhileRunning) {
    if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << kSkip;
    const auto dir = test::scratch("live-watch");
    const fs::path clip = green_clip(dir);
    const auto settings = dir / "look.json", rec = dir / "rec.mkv", err = dir / "err.txt";
    std::ofstream(settings) << R"({"key": {"key": "auto"}, "output": {"background": "#0000FF"}})";
    const pid_t pid = spawn_cli({"live", "-q", "-i", clip.string(), "--realtime", "--loop", "--duration", "4", "--settings",
                                 settings.string(), "--watch", "-o", rec.string()},
                                err);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    // The top-left corner of the green screen becomes "always foreground": it stops being blue.
    std::ofstream(settings) << R"({"key": {"key": "auto", "core": ["0,0,96,96"]}, "output": {"background": "#0000FF"}})";
    EXPECT_EQ(wait_exit(pid), 0) << slurp(err);
    EXPECT_NE(slurp(err).find("settings reloaded 1 times"), std::string::npos) << slurp(err);
    io::MediaReader reader(rec);
    Frame f, first, last;
    while (reader.read(f)) {
        if (first.rgba.empty()) first.rgba = f.rgba;
        last.rgba = f.rgba;
    }
    ASSERT_FALSE(last.rgba.empty());
    EXPECT_GT(mean_of(first.rgba, 8, 8, 48, 48).b, 200) << "before the change: keyed to the blue background";
    EXPECT_LT(mean_of(last.rgba, 8, 8, 48, 48).b, 120) << "after the change: the corner is kept as foreground";
}

TEST(LiveCli, StalledStreamEndsWithAMessageAfterReconnecting) {
    if (!has_asset("faces/obama.jpg")) GTEST_SKIP() << kSkip;
    const auto dir = test::scratch("live-stall");
    const fs::path clip = green_clip(dir);
    const int port = free_port(SOCK_DGRAM);
    const std::string url = "udp://127.0.0.1:" + std::to_string(port);
    const auto err = dir / "rx.txt";
    // The receiver: a live run reading the stream, giving up after one reconnection attempt.
    const pid_t rx = spawn_cli({"live", "-q", "-i", url, "--input-timeout", "2", "--reconnect", "1", "-o", "null:"}, err);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // The sender streams 1.5 s, then stops: the stream stalls.
    const auto r = run_cli("live -q -i " + q(clip) + " --realtime --loop --duration 1.5 -o " + url);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const int code = wait_exit(rx);
    const std::string text = slurp(err);
    EXPECT_EQ(code, 1) << text;
    EXPECT_NE(text.find("reconnect"), std::string::npos) << text;
    EXPECT_NE(text.find("gave up after 1 reconnection attempts"), std::string::npos) << text;
    EXPECT_NE(text.find("final stats"), std::string::npos) << text;
}

}  // namespace
}  // namespace keyswap
