#pragma once
// Live outputs: where `keyswap live` hands its frames.
//
// What this represents: one output of a live run, parsed from its `--output` text, and
// (LiveSink) that output opened with an encoder and muxer made for live use:
//   v4l2:/dev/videoN        virtual camera (v4l2loopback), raw yuv420p (or YUYV), no audio;
//   udp:// srt:// tcp://    H.264 (zero-latency tuning, fast preset) + AAC in MPEG-TS;
//   rtmp:// rtmps://        H.264 + AAC in FLV;
//   webm:TARGET mkv:TARGET  VP9 with its alpha channel (what OBS's media source decodes with
//                           alpha, see docs/OBS.md), Opus/AAC audio; TARGET a URL or a file;
//   nut:TARGET              uncompressed BGRA with alpha in NUT (no encoding cost; same machine);
//   mpegts:TARGET flv:TARGET force the container for any URL or file;
//   null:                   discards the frames (measures the pass alone);
//   anything else           a recording, its format from the extension as in `process`.
// Frames carry pts in milliseconds (Frame::pts); audio comes with its own time base.
// Every blocking write runs under an interrupt deadline, so a receiver that stops reading
// ends the call with Error(Output) instead of hanging the output's thread.
// Thread safety: one thread per sink. Errors: keyswap::Error naming the output.
#include <atomic>
#include <memory>
#include <string>

#include "keyswap/core/image.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/io/output_format.hpp"

namespace keyswap::io {

enum class LiveOutputKind { VirtualCamera, Stream, Recording, Null };

struct LiveEncodeOptions {
    std::string preset = "superfast";  // x264 preset for streams and recordings
    int crf = 23;                     // x264 quality for streams
    int bitrate_kbps = 6000;          // stream ceiling (x264 VBV max rate; VP9 target)
    std::string camera_format = "yuv420p";  // virtual camera: yuv420p | yuyv422
    EncodeOptions recording;          // --codec/--crf for recordings
};

struct LiveOutputSpec {
    std::string text;      // as given
    LiveOutputKind kind = LiveOutputKind::Null;
    std::string target;    // device, URL or file
    std::string muxer;     // FFmpeg muxer ("" for recordings: chosen by extension)
    std::string encoder;   // FFmpeg encoder
    std::string pix_fmt;
    bool alpha = false;    // keeps transparency
    bool audio = false;    // carries the input's audio
    bool network = false;  // a URL: reopened with back-off when the receiver goes away
};

// Throws Error(Usage) naming the output for unknown forms; Error(Output) for a virtual camera
// device that does not exist (the message says how to create one) or a recording folder that
// cannot be written. Checks only what can be checked without opening.
LiveOutputSpec parse_live_output(const std::string& text, const LiveEncodeOptions& options);

class LiveSink {
public:
    // Opens the output (connects, writes headers). `video.tb` must be 1/1000 (pts in ms).
    // Blocks at most `timeout_s` (or until `stop`); Error(Output) when it cannot.
    LiveSink(const LiveOutputSpec& spec, const VideoParams& video, const LiveEncodeOptions& options,
             const AudioSource& audio, const std::atomic<bool>* stop, double timeout_s);
    ~LiveSink();
    LiveSink(const LiveSink&) = delete;
    LiveSink& operator=(const LiveSink&) = delete;

    const LiveOutputSpec& spec() const;
    void write(const Frame& frame);
    void write_audio(const AudioPacket& packet);
    // Flushes and closes properly (trailer; a recording is moved to its final name).
    void finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace keyswap::io
