#pragma once
// A live picture source: a V4L2 camera, a network stream, or a file paced at its own rate.
//
// What this represents: one opened input that hands out decoded RGBA8 frames as they arrive,
// each stamped with the steady-clock time keyswap received it (the capture time latency is
// measured from), plus the input's compressed audio packets for the outputs to carry.
//   * camera:  "/dev/videoN" or "v4l2:/dev/videoN", through libavdevice (size, rate and
//     MJPEG/YUYV negotiated by the driver from the options);
//   * network: udp://, srt://, rtmp://, rtsp://, tcp://, http(s):// through libavformat;
//   * file:    anything MediaReader reads; with `realtime` each frame is released at its own
//     presentation time (like a camera delivering it), with `loop` the file starts again.
// Every blocking libavformat call runs under an interrupt callback with a deadline: no data
// for `timeout_s` seconds, or `stop` becoming true, ends the call, so nothing hangs.
// Thread safety: one thread at a time (the capture thread).
// Errors: keyswap::Error(Input) naming the input, with what to do (busy camera, missing
// device, unreachable or stalled stream).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "keyswap/core/image.hpp"
#include "keyswap/io/media_info.hpp"
#include "keyswap/io/media_reader.hpp"

struct AVCodecParameters;

namespace keyswap::io {

enum class LiveInputKind { Camera, Network, File };

struct LiveInputOptions {
    std::string size;            // camera: "1280x720" ("" = the driver's default)
    double fps = 0;              // camera: frames per second (0 = the driver's default)
    std::string pixel_format;    // camera: "mjpeg" | "yuyv" | "" (driver's choice)
    bool realtime = false;       // file: release frames at their presentation times
    bool loop = false;           // file: start again at the end
    double timeout_s = 5.0;      // no data for this long = stalled
    bool want_audio = true;
    double clock_offset_s = 0;   // added to every frame and audio time (a reconnected stream continues the old clock)
};

using SteadyTime = std::chrono::steady_clock::time_point;

class LiveInput {
public:
    // Opens and probes the input (blocks at most timeout_s). `stop` (may be null) aborts waits.
    LiveInput(const std::string& spec, const LiveInputOptions& options, const std::atomic<bool>* stop = nullptr);
    ~LiveInput();
    LiveInput(const LiveInput&) = delete;
    LiveInput& operator=(const LiveInput&) = delete;

    static LiveInputKind kind_of(const std::string& spec);
    LiveInputKind kind() const;
    const MediaInfo& info() const;
    const std::string& name() const;

    // Blocks until the next frame; `out.time` is seconds on the input's own clock since its
    // first frame (continuing across loops), `captured` when keyswap received it. Returns false
    // at the end of a file or when the sender closed the stream; throws Error(Input) when the
    // input stalls for timeout_s, fails, or `stop` is set (Error(Interrupted)).
    bool read(Frame& out, SteadyTime& captured);

    // Milliseconds the last read() spent reading, decoding and converting (not pacing).
    double last_read_ms() const;

    // Audio packets read so far, re-stamped onto the same clock as the frames; moved out.
    std::deque<AudioPacket> take_audio();
    const AVCodecParameters* audio_parameters() const;  // nullptr when there is none
    int audio_tb_num() const;
    int audio_tb_den() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace keyswap::io
