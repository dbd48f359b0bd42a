#include "keyswap/io/live_output.hpp"

#include <chrono>
#include <filesystem>
#include <mutex>

#include "keyswap/core/error.hpp"
#include "keyswap/io/audio_carry.hpp"
#include "keyswap/io/av_util.hpp"
#include "keyswap/io/rgba_convert.hpp"

extern "C" {
#include <libavdevice/avdevice.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace keyswap::io {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

const char* kModprobeHint =
    "create one with: sudo modprobe v4l2loopback devices=1 video_nr=10 card_label=keyswap exclusive_caps=1 "
    "(Debian package v4l2loopback-dkms)";

// Container prefixes a user may put before any URL or file: muxer, encoder, pixel format,
// alpha, audio re-encoder.
struct Forced {
    const char* prefix;
    const char* muxer;
    const char* encoder;
    const char* pix_fmt;
    bool alpha;
};
const Forced kForced[] = {
    {"webm:", "webm", "libvpx-vp9", "yuva420p", true},
    {"mkv:", "matroska", "libvpx-vp9", "yuva420p", true},
    {"nut:", "nut", "rawvideo", "bgra", true},
    {"mpegts:", "mpegts", "libx264", "yuv420p", false},
    {"flv:", "flv", "libx264", "yuv420p", false},
};

std::string scheme_of(const std::string& url) {
    const auto p = url.find("://");
    return p == std::string::npos ? "" : url.substr(0, p);
}

void check_writable_file(const std::string& text, const std::string& target) {
    std::error_code ec;
    if (fs::is_directory(target, ec)) fail(ErrorKind::Usage, "output is a folder; give a file name", text);
    const fs::path dir = fs::path(target).parent_path().empty() ? fs::path(".") : fs::path(target).parent_path();
    if (!fs::is_directory(dir, ec)) fail(ErrorKind::Output, "output folder does not exist", text);
}

struct Watchdog {
    std::atomic<std::int64_t> deadline{0};
    const std::atomic<bool>* stop = nullptr;
    std::atomic<bool> opening{true};
    void arm(double s) {
        deadline = (Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)))
                       .time_since_epoch()
                       .count();
    }
    static int callback(void* opaque) {
        auto* w = static_cast<Watchdog*>(opaque);
        // A stop request aborts only the wait for a receiver; writes go on so the outputs are
        // closed properly after it.
        if (w->opening && w->stop && w->stop->load(std::memory_order_relaxed)) return 1;
        const std::int64_t d = w->deadline.load(std::memory_order_relaxed);
        return d != 0 && Clock::now().time_since_epoch().count() > d;
    }
};

void set_opt(AVCodecContext* c, const char* key, const std::string& value) { av_opt_set(c->priv_data, key, value.c_str(), 0); }

}  // namespace

LiveOutputSpec parse_live_output(const std::string& text, const LiveEncodeOptions& options) {
    LiveOutputSpec s;
    s.text = text;
    if (text.empty()) fail(ErrorKind::Usage, "empty --output");
    if (text == "null:" || text == "null") {
        s.kind = LiveOutputKind::Null;
        return s;
    }
    if (starts_with(text, "v4l2:")) {
        s.kind = LiveOutputKind::VirtualCamera;
        s.target = text.substr(5);
        s.muxer = "v4l2";
        s.encoder = "rawvideo";
        s.pix_fmt = options.camera_format;
        if (s.pix_fmt != "yuv420p" && s.pix_fmt != "yuyv422")
            fail(ErrorKind::Usage, "--camera-format must be yuv420p or yuyv422", text);
        std::error_code ec;
        if (s.target.empty() || !fs::exists(s.target, ec))
            fail(ErrorKind::Output, std::string("no such virtual camera device; ") + kModprobeHint, text);
        return s;
    }
    for (const auto& f : kForced)
        if (starts_with(text, f.prefix)) {
            s.kind = LiveOutputKind::Stream;
            s.target = text.substr(std::string(f.prefix).size());
            s.muxer = f.muxer;
            s.encoder = f.encoder;
            s.pix_fmt = f.pix_fmt;
            s.alpha = f.alpha;
            s.audio = true;
            s.network = s.target.find("://") != std::string::npos;
            if (s.target.empty()) fail(ErrorKind::Usage, "give a URL or a file after the container prefix", text);
            if (!s.network) check_writable_file(text, s.target);
            return s;
        }
    if (const std::string scheme = scheme_of(text); !scheme.empty()) {
        s.kind = LiveOutputKind::Stream;
        s.target = text;
        s.network = true;
        s.audio = true;
        s.encoder = "libx264";
        s.pix_fmt = "yuv420p";
        if (scheme == "udp" || scheme == "srt" || scheme == "tcp" || scheme == "rtp") s.muxer = scheme == "rtp" ? "rtp_mpegts" : "mpegts";
        else if (scheme == "rtmp" || scheme == "rtmps") s.muxer = "flv";
        else if (scheme == "rtsp") s.muxer = "rtsp";
        else
            fail(ErrorKind::Usage,
                 "unknown output protocol '" + scheme + "://' (use udp://, srt://, tcp://, rtmp://, rtsp://, v4l2:/dev/videoN, "
                 "or a container prefix such as webm:URL)",
                 text);
        return s;
    }
    s.kind = LiveOutputKind::Recording;
    s.target = text;
    const OutputFormat f = choose_output_format(text, options.recording);
    if (f.still) fail(ErrorKind::Usage, "a live recording needs a video format (.mkv, .mp4, .webm, .mov), not images", text);
    check_output_path(std::vector<fs::path>{}, text);
    s.muxer = f.muxer;
    s.encoder = f.encoder;
    s.pix_fmt = f.pix_fmt;
    s.alpha = f.alpha;
    s.audio = !f.audio_encoder.empty();
    return s;
}

struct LiveSink::Impl {
    LiveOutputSpec spec;
    VideoParams vp;
    double timeout_s = 5;
    Watchdog watch;
    std::unique_ptr<MediaWriter> recording;
    AVFormatContext* out = nullptr;
    bool io_open = false, header = false, finished = false;
    av::CodecPtr enc;
    AVStream* vs = nullptr;
    std::unique_ptr<AudioCarry> audio;
    RgbaEncoderConverter convert;
    av::FramePtr frame = av::make_frame();
    av::PacketPtr pkt = av::make_packet();
    std::int64_t last_pts = AV_NOPTS_VALUE;

    ~Impl() {
        if (out) {
            if (io_open) avio_closep(&out->pb);
            avformat_free_context(out);
        }
    }

    // Maps an FFmpeg failure while writing to what the user should know.
    [[noreturn]] void write_failed(int r, const std::string& what) {
        if (r == AVERROR_EXIT)
            fail(ErrorKind::Output, what + ": the receiver stopped taking data for " + std::to_string(int(timeout_s + 0.5)) + " s",
                 spec.text);
        if (r == AVERROR(EPIPE) || r == AVERROR(ECONNRESET) || r == AVERROR(ECONNREFUSED))
            fail(ErrorKind::Output, what + ": the receiver went away (" + av::error_string(r) + ")", spec.text);
        if (r == AVERROR(ENOSPC)) fail(ErrorKind::Output, what + ": disk full", spec.text);
        fail(ErrorKind::Output, what + " (" + av::error_string(r) + ")", spec.text);
    }

    void tune(AVCodecContext* c, const LiveEncodeOptions& o) {
        const int fps = std::max(1, static_cast<int>(double(vp.fps_num) / std::max(1, vp.fps_den) + 0.5));
        if (spec.encoder == "libx264") {
            set_opt(c, "preset", o.preset);
            set_opt(c, "tune", "zerolatency");
            set_opt(c, "crf", std::to_string(o.crf));
            c->rc_max_rate = static_cast<std::int64_t>(o.bitrate_kbps) * 1000;
            c->rc_buffer_size = static_cast<int>(std::min<std::int64_t>(INT32_MAX, c->rc_max_rate));
            c->gop_size = fps;  // a receiver that joins late waits at most a second for a picture
            c->max_b_frames = 0;
        } else if (spec.encoder == "libvpx-vp9") {
            c->bit_rate = static_cast<std::int64_t>(o.bitrate_kbps) * 1000;
            c->gop_size = 2 * fps;
            set_opt(c, "deadline", "realtime");
            set_opt(c, "cpu-used", "8");
            set_opt(c, "row-mt", "1");
            set_opt(c, "lag-in-frames", "0");
            set_opt(c, "error-resilient", "1");
        }
    }

    void open(const LiveEncodeOptions& o, const AudioSource& a) {
        static std::once_flag devices;
        std::call_once(devices, [] { avdevice_register_all(); });
        const std::string& p = spec.text;
        const AVCodec* codec = avcodec_find_encoder_by_name(spec.encoder.c_str());
        if (!codec) fail(ErrorKind::Output, "encoder " + spec.encoder + " is not available in this FFmpeg", p);
        const int ar = avformat_alloc_output_context2(&out, nullptr, spec.muxer.c_str(), spec.target.c_str());
        if (ar < 0 || !out) fail(ErrorKind::Output, "cannot set up the " + spec.muxer + " muxer (" + av::error_string(ar) + ")", p);
        out->interrupt_callback.callback = &Watchdog::callback;
        out->interrupt_callback.opaque = &watch;
        const AVPixelFormat pix = av_get_pix_fmt(spec.pix_fmt.c_str());
        const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(pix);
        if (d && ((vp.width & ((1 << d->log2_chroma_w) - 1)) || (vp.height & ((1 << d->log2_chroma_h) - 1))))
            fail(ErrorKind::Usage, std::to_string(vp.width) + "x" + std::to_string(vp.height) + " is odd-sized; " + spec.encoder +
                                       " needs an even width and height", p);
        enc.reset(avcodec_alloc_context3(codec));
        auto* c = enc.get();
        c->width = vp.width;
        c->height = vp.height;
        c->pix_fmt = pix;
        c->time_base = AVRational{vp.tb_num, vp.tb_den};
        c->framerate = AVRational{vp.fps_num, vp.fps_den};
        c->sample_aspect_ratio = AVRational{1, 1};
        c->thread_count = 0;
        if (d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3) {
            c->colorspace = default_matrix(vp.width, vp.height);
            c->color_range = AVCOL_RANGE_MPEG;
            c->color_primaries = c->colorspace == AVCOL_SPC_BT709 ? AVCOL_PRI_BT709 : AVCOL_PRI_SMPTE170M;
            c->color_trc = c->colorspace == AVCOL_SPC_BT709 ? AVCOL_TRC_BT709 : AVCOL_TRC_SMPTE170M;
        }
        if (out->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        tune(c, o);
        av::check(avcodec_open2(c, codec, nullptr), ErrorKind::Output, "cannot open the " + spec.encoder + " encoder", p);
        vs = avformat_new_stream(out, nullptr);
        if (!vs) throw std::bad_alloc();
        av::check(avcodec_parameters_from_context(vs->codecpar, c), ErrorKind::Output, "video parameters", p);
        vs->time_base = c->time_base;
        vs->avg_frame_rate = c->framerate;
        // OBS's media source (and keyswap's reader) decode VP9 with libvpx, keeping the alpha,
        // when the stream is tagged so.
        if (spec.alpha && spec.encoder == "libvpx-vp9") av_dict_set(&vs->metadata, "alpha_mode", "1", 0);
        if (spec.audio && a.params) {
            const std::string aenc = spec.muxer == "webm" ? "libopus" : "aac";
            audio = std::make_unique<AudioCarry>(out, a.params, AVRational{a.tb_num, a.tb_den}, aenc, p);
        }
        AVDictionary* io = nullptr;
        if (starts_with(spec.target, "udp://") && spec.target.find("pkt_size") == std::string::npos)
            av_dict_set(&io, "pkt_size", "1316", 0);  // 7 TS packets: one datagram below any MTU
        if (!(out->oformat->flags & AVFMT_NOFILE)) {
            watch.arm(timeout_s);
            const int r = avio_open2(&out->pb, spec.target.c_str(), AVIO_FLAG_WRITE, &out->interrupt_callback, &io);
            av_dict_free(&io);
            if (r == AVERROR_EXIT) fail(ErrorKind::Output, "no receiver connected within " + std::to_string(int(timeout_s + 0.5)) + " s", p);
            if (r < 0) {
                if (spec.network) fail(ErrorKind::Output, "cannot connect (" + av::error_string(r) + "); is the receiver running?", p);
                fail(ErrorKind::Output, "cannot create the output (" + av::error_string(r) + ")", p);
            }
            io_open = true;
        }
        av_dict_free(&io);
        out->flush_packets = 1;  // each packet leaves at once: latency over throughput
        AVDictionary* mux = nullptr;
        if (spec.muxer == "matroska" || spec.muxer == "webm") {
            if (spec.network) av_dict_set(&mux, "live", "1", 0);
            av_dict_set(&mux, "cluster_time_limit", "0", 0);
        }
        if (spec.muxer == "flv") av_dict_set(&mux, "flvflags", "no_duration_filesize", 0);
        watch.arm(timeout_s);
        const int hr = avformat_write_header(out, &mux);
        av_dict_free(&mux);
        if (hr < 0) {
            if (spec.kind == LiveOutputKind::VirtualCamera)
                fail(ErrorKind::Output, "the device refused " + spec.pix_fmt + " " + std::to_string(vp.width) + "x" +
                                            std::to_string(vp.height) + " (" + av::error_string(hr) +
                                            "); is it a v4l2loopback device? " + kModprobeHint,
                     p);
            write_failed(hr, "cannot start the stream");
        }
        header = true;
        watch.opening = false;
        convert.configure(vp.width, vp.height, pix, c->colorspace, c->color_range);
        frame->format = pix;
        frame->width = vp.width;
        frame->height = vp.height;
        av::check(av_frame_get_buffer(frame.get(), 0), ErrorKind::Output, "out of memory for the output frame", p);
    }

    void drain() {
        for (;;) {
            const int r = avcodec_receive_packet(enc.get(), pkt.get());
            if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
            av::check(r, ErrorKind::Output, "video encoder failed", spec.text);
            av_packet_rescale_ts(pkt.get(), enc->time_base, vs->time_base);
            pkt->stream_index = vs->index;
            watch.arm(timeout_s);
            const int w = av_interleaved_write_frame(out, pkt.get());
            if (w < 0) write_failed(w, "cannot send video");
        }
    }
};

LiveSink::LiveSink(const LiveOutputSpec& spec, const VideoParams& video, const LiveEncodeOptions& options,
                   const AudioSource& audio, const std::atomic<bool>* stop, double timeout_s)
    : impl_(std::make_unique<Impl>()) {
    av::quiet_logs();
    auto& m = *impl_;
    m.spec = spec;
    m.vp = video;
    m.timeout_s = timeout_s > 0 ? timeout_s : 5.0;
    m.watch.stop = stop;
    if (video.width <= 0 || video.height <= 0) fail(ErrorKind::Processing, "no frame size to write", spec.text);
    if (spec.kind == LiveOutputKind::Null) return;
    if (spec.kind == LiveOutputKind::Recording) {
        EncodeOptions e = options.recording;
        // A recording must keep up with the live frames on the same cores as the pass.
        if (e.preset.empty()) {
            const OutputFormat f = choose_output_format(spec.target, e);
            if (f.encoder == "libx264" || f.encoder == "libx265") e.preset = options.preset;
            else if (f.encoder == "libvpx-vp9") e.preset = "realtime";
        }
        m.recording = std::make_unique<MediaWriter>(spec.target, video, e, spec.audio ? audio : AudioSource{});
        return;
    }
    m.open(options, audio);
}

LiveSink::~LiveSink() = default;

const LiveOutputSpec& LiveSink::spec() const { return impl_->spec; }

void LiveSink::write(const Frame& f) {
    auto& m = *impl_;
    if (m.spec.kind == LiveOutputKind::Null) return;
    if (m.recording) {
        m.recording->write(f);
        return;
    }
    if (f.rgba.width() != m.vp.width || f.rgba.height() != m.vp.height)
        fail(ErrorKind::Processing, "frame size changed mid-stream", m.spec.text);
    av::check(av_frame_make_writable(m.frame.get()), ErrorKind::Output, "out of memory", m.spec.text);
    m.convert.convert(f.rgba, m.frame.get());
    std::int64_t pts = f.pts;
    if (m.last_pts != AV_NOPTS_VALUE && pts <= m.last_pts) pts = m.last_pts + 1;
    m.last_pts = pts;
    m.frame->pts = pts;
    av::check(avcodec_send_frame(m.enc.get(), m.frame.get()), ErrorKind::Output, "video encoder failed", m.spec.text);
    m.drain();
    // Matroska holds a cluster until the next one starts; end it now so this frame leaves.
    if (m.spec.muxer == "matroska" || m.spec.muxer == "webm") {
        m.watch.arm(m.timeout_s);
        const int r = av_write_frame(m.out, nullptr);
        if (r < 0) m.write_failed(r, "cannot send video");
    }
}

void LiveSink::write_audio(const AudioPacket& packet) {
    auto& m = *impl_;
    if (!packet.packet) return;
    if (m.recording) {
        m.recording->write_audio(packet);
        return;
    }
    if (!m.audio) return;
    m.watch.arm(m.timeout_s);
    m.audio->write(packet.packet.get());
}

void LiveSink::finish() {
    auto& m = *impl_;
    if (m.finished) return;
    m.finished = true;
    if (m.spec.kind == LiveOutputKind::Null) return;
    if (m.recording) {
        if (m.recording->frames_written() > 0) m.recording->finish();
        return;
    }
    if (!m.header) return;
    av::check(avcodec_send_frame(m.enc.get(), nullptr), ErrorKind::Output, "video encoder failed", m.spec.text);
    m.drain();
    if (m.audio) m.audio->flush();
    m.watch.arm(m.timeout_s);
    const int r = av_write_trailer(m.out);
    if (r < 0) m.write_failed(r, "cannot close the stream");
    if (m.io_open) {
        avio_closep(&m.out->pb);
        m.io_open = false;
    }
}

}  // namespace keyswap::io
