// live_e2e: the live path's speed and latency, measured in one process with one clock.
//
//   live_e2e CLIP SOURCE_PHOTO BACKGROUND [SECONDS] [ROUNDS]
//
// CLIP is played paced (--realtime --loop, like a camera). Each round runs, one after the
// other on the same machine:
//   anchor  no stages: capture -> H.264/MPEG-TS over UDP on 127.0.0.1 -> decode (transport only)
//   pass    key + one face + composite -> null output: the pass's fps and capture->hand-off latency
//   e2e     key + one face + composite -> H.264/MPEG-TS over UDP -> decode in a receiver thread
// For the end-to-end delay each frame's capture time (steady clock, microseconds) is written
// into its top-left corner as black and white 16x16 blocks after the pass; the receiver reads
// it back from the decoded picture and subtracts it from the time the picture is ready.
// Prints one JSON line per run and a summary table (medians over rounds).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "keyswap/core/error.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/io/live_input.hpp"
#include "keyswap/pipeline/frame_pass.hpp"
#include "keyswap/pipeline/live_run.hpp"

using namespace keyswap;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kBits = 40, kBlock = 16;

std::int64_t micros(io::SteadyTime t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// Two rows of blocks, the same value twice: a frame whose rows disagree is not counted.
void stamp(Frame& f, std::int64_t value) {
    for (int row = 0; row < 2; ++row)
        for (int b = 0; b < kBits; ++b) {
            const std::uint8_t v = ((value >> b) & 1) ? 255 : 0;
            for (int y = row * kBlock; y < (row + 1) * kBlock; ++y)
                for (int x = b * kBlock; x < (b + 1) * kBlock; ++x) {
                    std::uint8_t* p = &f.rgba.at(x, y);
                    p[0] = p[1] = p[2] = v;
                    p[3] = 255;
                }
        }
}

bool read_stamp(const Frame& f, std::int64_t& value) {
    std::int64_t rows[2] = {0, 0};
    for (int row = 0; row < 2; ++row)
        for (int b = 0; b < kBits; ++b) {
            const int g = f.rgba.at(b * kBlock + kBlock / 2, row * kBlock + kBlock / 2, 1);
            if (g > 128) rows[row] |= std::int64_t(1) << b;
        }
    value = rows[0];
    return rows[0] == rows[1];
}

int free_udp_port() {
    const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t n = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
    ::close(s);
    return ntohs(a.sin_port);
}

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct RunResult {
    std::string name;
    double cpu_ms_per_frame = 0;  // whole process (decode, pass, encode, receiver) per frame out
    pipeline::LiveReport report;
    pipeline::LatencySummary e2e;
    int received = 0;
};

// The stream's x264 preset (`keyswap live --stream-preset`), "" for the default.
std::string g_preset;

RunResult run(const std::string& name, const std::string& clip, const pipeline::PassConfig* config, bool udp, double seconds) {
    pipeline::LiveJob job;
    if (!g_preset.empty()) job.encode.preset = g_preset;
    job.input = clip;
    job.input_options.realtime = true;
    job.input_options.loop = true;
    job.keep_audio = false;
    job.duration_s = seconds;
    job.quiet = true;
    const int port = free_udp_port();
    const std::string url = "udp://127.0.0.1:" + std::to_string(port);
    job.outputs = {udp ? url : "null:"};

    std::unique_ptr<pipeline::FramePass> pass;
    if (config) pass = std::make_unique<pipeline::FramePass>(*config, ThreadPool::shared());
    pipeline::LiveWork work;
    work.start = [&](const io::MediaInfo& in, const std::vector<io::LiveOutputSpec>&) {
        io::OutputFormat o;
        o.alpha = true;
        if (pass) pass->start(in, o);
    };
    work.process = [&](Frame& f, io::SteadyTime captured) {
        if (pass) pass->process(f);
        if (udp) stamp(f, micros(captured));
    };
    work.times = [&] { return pass ? pass->times() : StageTimes{}; };

    std::atomic<bool> stop{false};
    std::vector<double> e2e;
    std::thread receiver;
    if (udp)
        receiver = std::thread([&] {
            try {
                io::LiveInputOptions o;
                o.timeout_s = 30;
                io::LiveInput in(url, o, &stop);
                Frame f;
                io::SteadyTime t;
                while (in.read(f, t)) {
                    const std::int64_t now = micros(Clock::now());
                    std::int64_t at = 0;
                    if (read_stamp(f, at) && at > 0 && now - at < 10'000'000) e2e.push_back((now - at) / 1000.0);
                }
            } catch (const Error&) {
            }
        });
    RunResult r;
    r.name = name;
    const double cpu0 = cpu_seconds();
    r.report = pipeline::run_live(job, work);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
    if (receiver.joinable()) receiver.join();
    r.cpu_ms_per_frame = (cpu_seconds() - cpu0) * 1000.0 / std::max<std::int64_t>(1, r.report.processed + 1);
    r.received = static_cast<int>(e2e.size());
    r.e2e = pipeline::summarize(e2e);
    return r;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: live_e2e CLIP SOURCE_PHOTO BACKGROUND [SECONDS=10] [ROUNDS=2] [STREAM_PRESET]\n");
        return 2;
    }
    const std::string clip = argv[1];
    const double seconds = argc > 4 ? std::atof(argv[4]) : 10.0;
    const int rounds = argc > 5 ? std::atoi(argv[5]) : 2;
    if (argc > 6) g_preset = argv[6];
    try {
        pipeline::PassConfig full;
        full.keyer = matte::KeyerSettings{};
        face::FaceSettings fs;
        fs.source = {argv[2]};
        fs.background_detect = true;
        full.face = fs;
        full.options.background = argv[3];

        std::vector<RunResult> all;
        for (int i = 0; i < rounds; ++i) {
            all.push_back(run("anchor", clip, nullptr, true, seconds));
            all.push_back(run("pass", clip, &full, false, seconds));
            all.push_back(run("e2e", clip, &full, true, seconds));
        }
        for (const auto& r : all) {
            auto j = r.report.json();
            j["run"] = r.name;
            j["e2e_received"] = r.received;
            j["e2e_p50_ms"] = r.e2e.p50;
            j["e2e_p95_ms"] = r.e2e.p95;
            j["e2e_p99_ms"] = r.e2e.p99;
            j["cpu_ms_per_frame"] = r.cpu_ms_per_frame;
            std::printf("%s\n", j.dump().c_str());
        }
        std::printf("\n| run | fps in | fps out | dropped | hand-off p50 / p95 / p99 ms | end-to-end p50 / p95 / p99 ms | CPU ms / frame |\n|---|---|---|---|---|---|---|\n");
        for (const char* name : {"anchor", "pass", "e2e"}) {
            std::vector<double> fi, fo, dr, h50, h95, h99, e50, e95, e99, cpu;
            for (const auto& r : all) {
                if (r.name != name) continue;
                fi.push_back(r.report.fps_in);
                fo.push_back(r.report.fps_out);
                dr.push_back(double(r.report.dropped_capture + r.report.dropped_late));
                h50.push_back(r.report.latency.p50);
                h95.push_back(r.report.latency.p95);
                h99.push_back(r.report.latency.p99);
                e50.push_back(r.e2e.p50);
                e95.push_back(r.e2e.p95);
                e99.push_back(r.e2e.p99);
                cpu.push_back(r.cpu_ms_per_frame);
            }
            std::printf("| %s | %.1f | %.1f | %.0f | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f | %.1f |\n", name, median(fi), median(fo),
                        median(dr), median(h50), median(h95), median(h99), median(e50), median(e95), median(e99), median(cpu));
        }
        std::printf("\nstage ms (last pass run):");
        for (auto it = all.rbegin(); it != all.rend(); ++it)
            if (it->name == "pass") {
                for (const auto& [k, v] : it->report.stage_ms) std::printf(" %s %.2f", k.c_str(), v);
                break;
            }
        std::printf("\n");
    } catch (const Error& e) {
        std::fprintf(stderr, "live_e2e: %s\n", e.what());
        return 1;
    }
    return 0;
}
