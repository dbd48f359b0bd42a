#include "keyswap/io/live_input.hpp"

#include <cerrno>
#include <filesystem>
#include <mutex>
#include <thread>

#include "keyswap/io/av_util.hpp"
#include "keyswap/io/rgba_convert.hpp"

extern "C" {
#include <libavdevice/avdevice.h>
#include <libavutil/pixdesc.h>
}

namespace keyswap::io {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

std::string camera_path(const std::string& spec) { return starts_with(spec, "v4l2:") ? spec.substr(5) : spec; }

// The deadline every blocking libavformat call runs under (see the header).
struct Watchdog {
    std::atomic<std::int64_t> deadline{0};  // steady-clock ns; 0 = none
    const std::atomic<bool>* stop = nullptr;
    std::atomic<bool> fired_by_stop{false};

    void arm(double seconds) {
        deadline = (Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)))
                       .time_since_epoch()
                       .count();
    }
    static int callback(void* opaque) {
        auto* w = static_cast<Watchdog*>(opaque);
        if (w->stop && w->stop->load(std::memory_order_relaxed)) {
            w->fired_by_stop = true;
            return 1;
        }
        const std::int64_t d = w->deadline.load(std::memory_order_relaxed);
        return d != 0 && Clock::now().time_since_epoch().count() > d;
    }
};

const AVCodec* pick_decoder(const AVStream* st) {
    // FFmpeg's own VP8/VP9 decoders drop the alpha that WebM carries beside the picture.
    const AVDictionaryEntry* alpha = av_dict_get(st->metadata, "alpha_mode", nullptr, 0);
    if (alpha && std::string(alpha->value) == "1") {
        if (st->codecpar->codec_id == AV_CODEC_ID_VP9)
            if (auto* c = avcodec_find_decoder_by_name("libvpx-vp9")) return c;
        if (st->codecpar->codec_id == AV_CODEC_ID_VP8)
            if (auto* c = avcodec_find_decoder_by_name("libvpx")) return c;
    }
    return avcodec_find_decoder(st->codecpar->codec_id);
}

}  // namespace

struct LiveInput::Impl {
    std::string spec, path;
    LiveInputOptions opt;
    LiveInputKind kind = LiveInputKind::File;
    Watchdog watch;
    av::InputPtr fmt;
    av::CodecPtr dec;
    int video = -1, audio = -1;
    MediaInfo info;
    av::PacketPtr pkt = av::make_packet();
    av::FramePtr frame = av::make_frame();
    RgbaConverter convert;
    bool input_done = false;
    std::int64_t delivered = 0;
    std::int64_t start_pts = AV_NOPTS_VALUE;  // video pts of the first frame
    double loop_offset = 0;                   // seconds added after each loop
    double last_time = 0, frame_step = 1.0 / 30;
    SteadyTime packet_time{};                 // when the last video packet arrived
    SteadyTime pace_origin{};                 // wall time of input time 0 (realtime files)
    bool paced = false;
    double read_ms = 0;
    std::deque<AudioPacket> pending_audio;

    [[noreturn]] void stalled_or_stopped(const std::string& doing) {
        if (watch.fired_by_stop) fail(ErrorKind::Interrupted, "stopped", spec);
        fail(ErrorKind::Input,
             doing + ": no data for " + std::to_string(static_cast<int>(opt.timeout_s + 0.5)) +
                 " s (stream stalled or the sender is not running; check the address and port)",
             spec);
    }

    [[noreturn]] void open_failed(int r) {
        if (r == AVERROR_EXIT) stalled_or_stopped("cannot open");
        if (kind == LiveInputKind::Camera) {
            if (r == AVERROR(EBUSY))
                fail(ErrorKind::Input, "camera is busy: another program is using it (close it, or share the camera through v4l2loopback)", spec);
            if (r == AVERROR(EACCES) || r == AVERROR(EPERM))
                fail(ErrorKind::Input, "permission denied opening the camera (add yourself to the 'video' group)", spec);
            if (r == AVERROR(ENOENT) || r == AVERROR(ENODEV) || r == AVERROR(ENXIO))
                fail(ErrorKind::Input, "no such camera (list cameras with: v4l2-ctl --list-devices)", spec);
            fail(ErrorKind::Input, "cannot open the camera (" + av::error_string(r) + "); try another --input-size/--input-fps/--input-format", spec);
        }
        if (kind == LiveInputKind::Network) {
            if (r == AVERROR(ECONNREFUSED)) fail(ErrorKind::Input, "connection refused: nothing is serving this stream", spec);
            if (r == AVERROR_PROTOCOL_NOT_FOUND)
                fail(ErrorKind::Input, "this FFmpeg cannot read that protocol (use udp://, srt://, rtmp://, rtsp://, tcp://)", spec);
            fail(ErrorKind::Input, "cannot open the stream (" + av::error_string(r) + ")", spec);
        }
        fail(ErrorKind::Input, "cannot open: not a media file or corrupt (" + av::error_string(r) + ")", spec);
    }

    void open() {
        av::quiet_logs();
        static std::once_flag devices;
        std::call_once(devices, [] { avdevice_register_all(); });
        AVDictionary* d = nullptr;
        const AVInputFormat* ifmt = nullptr;
        path = spec;
        if (kind == LiveInputKind::Camera) {
            path = camera_path(spec);
            std::error_code ec;
            if (!fs::exists(path, ec)) fail(ErrorKind::Input, "no such camera (list cameras with: v4l2-ctl --list-devices)", spec);
            ifmt = av_find_input_format("video4linux2");
            if (!ifmt) fail(ErrorKind::Input, "this FFmpeg was built without V4L2 camera support", spec);
            if (!opt.size.empty()) av_dict_set(&d, "video_size", opt.size.c_str(), 0);
            if (opt.fps > 0) av_dict_set(&d, "framerate", std::to_string(opt.fps).c_str(), 0);
            if (opt.pixel_format == "mjpeg") av_dict_set(&d, "input_format", "mjpeg", 0);
            else if (opt.pixel_format == "yuyv") av_dict_set(&d, "input_format", "yuyv422", 0);
            else if (!opt.pixel_format.empty())
                fail(ErrorKind::Usage, "--input-format must be mjpeg or yuyv, not '" + opt.pixel_format + "'", spec);
        } else if (kind == LiveInputKind::Network) {
            // Start fast and never buffer for smoothness: latency is the point.
            av_dict_set(&d, "fflags", "nobuffer", 0);
            av_dict_set(&d, "probesize", "1000000", 0);
            av_dict_set(&d, "analyzeduration", "2000000", 0);
            if (starts_with(spec, "udp://")) {
                av_dict_set(&d, "overrun_nonfatal", "1", 0);
                av_dict_set(&d, "fifo_size", "278876", 0);  // ~50 MB of 188-byte TS packets
            }
        } else {
            std::error_code ec;
            if (!fs::exists(path, ec)) fail(ErrorKind::Input, "file not found", spec);
            if (fs::is_directory(path, ec)) fail(ErrorKind::Input, "is a folder, not a media file", spec);
        }
        AVFormatContext* raw = avformat_alloc_context();
        if (!raw) throw std::bad_alloc();
        raw->interrupt_callback.callback = &Watchdog::callback;
        raw->interrupt_callback.opaque = &watch;
        watch.arm(opt.timeout_s);
        const int r = avformat_open_input(&raw, path.c_str(), ifmt, &d);  // frees raw on failure
        av_dict_free(&d);
        if (r < 0) open_failed(r);
        fmt.reset(raw);
        watch.arm(opt.timeout_s);
        const int si = avformat_find_stream_info(fmt.get(), nullptr);
        if (si == AVERROR_EXIT) stalled_or_stopped("no picture arrived");
        av::check(si, ErrorKind::Input, "cannot read stream info", spec);
        video = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
        if (video < 0) fail(ErrorKind::Input, "has no video stream", spec);
        AVStream* vs = fmt->streams[video];
        if (vs->codecpar->width <= 0 || vs->codecpar->height <= 0)
            fail(ErrorKind::Input, "no picture size yet (the stream sent no key frame in time)", spec);
        const AVCodec* codec = pick_decoder(vs);
        if (!codec) fail(ErrorKind::Input, std::string("unsupported video codec '") + avcodec_get_name(vs->codecpar->codec_id) + "'", spec);
        dec.reset(avcodec_alloc_context3(codec));
        av::check(avcodec_parameters_to_context(dec.get(), vs->codecpar), ErrorKind::Input, "bad codec parameters", spec);
        dec->pkt_timebase = vs->time_base;
        // Frame threading holds frames back (one per thread); slices do not.
        dec->thread_count = 2;
        dec->thread_type = kind == LiveInputKind::File ? FF_THREAD_FRAME : FF_THREAD_SLICE;
        if (kind != LiveInputKind::File) dec->flags |= AV_CODEC_FLAG_LOW_DELAY;
        av::check(avcodec_open2(dec.get(), codec, nullptr), ErrorKind::Input, std::string("cannot open the ") + codec->name + " decoder", spec);
        for (unsigned i = 0; i < fmt->nb_streams; ++i)
            if (static_cast<int>(i) != video) fmt->streams[i]->discard = AVDISCARD_ALL;
        if (opt.want_audio && kind != LiveInputKind::Camera) {
            audio = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_AUDIO, -1, video, nullptr, 0);
            if (audio < 0) audio = -1;
            else fmt->streams[audio]->discard = AVDISCARD_DEFAULT;
        }
        fill_info();
    }

    void fill_info() {
        AVStream* vs = fmt->streams[video];
        info.path = spec;
        info.container = fmt->iformat->name;
        info.width = vs->codecpar->width;
        info.height = vs->codecpar->height;
        AVRational fr = vs->avg_frame_rate.num ? vs->avg_frame_rate : vs->r_frame_rate;
        if (fr.num <= 0 || fr.den <= 0 || av_q2d(fr) > 240) fr = AVRational{30, 1};
        info.fps_num = fr.num;
        info.fps_den = fr.den;
        frame_step = 1.0 / av_q2d(fr);
        info.tb_num = vs->time_base.num;
        info.tb_den = vs->time_base.den;
        if (kind == LiveInputKind::File && fmt->duration != AV_NOPTS_VALUE) info.duration = fmt->duration / double(AV_TIME_BASE);
        info.frames = kind == LiveInputKind::File ? vs->nb_frames : 0;
        info.video_codec = avcodec_get_name(vs->codecpar->codec_id);
        const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(dec->pix_fmt);
        info.pixel_format = d ? d->name : "unknown";
        info.has_alpha = d && (d->flags & AV_PIX_FMT_FLAG_ALPHA);
        if (!info.has_alpha && std::string(dec->codec->name).rfind("libvpx", 0) == 0) {
            const AVDictionaryEntry* a = av_dict_get(vs->metadata, "alpha_mode", nullptr, 0);
            info.has_alpha = a && std::string(a->value) == "1";
        }
        if (audio >= 0) {
            AVStream* as = fmt->streams[audio];
            info.has_audio = true;
            info.audio_codec = avcodec_get_name(as->codecpar->codec_id);
            info.audio_rate = as->codecpar->sample_rate;
            info.audio_channels = as->codecpar->ch_layout.nb_channels;
        }
    }

    void keep_audio(AVPacket* p) {
        if (start_pts == AV_NOPTS_VALUE) return;  // before the first picture: nothing to sync to
        AVStream* vs = fmt->streams[video];
        AVStream* as = fmt->streams[audio];
        const std::int64_t start = av_rescale_q(start_pts, vs->time_base, as->time_base);
        const std::int64_t shift = static_cast<std::int64_t>(loop_offset / av_q2d(as->time_base) + 0.5) - start;
        const std::int64_t t = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
        if (t == AV_NOPTS_VALUE || t + shift < 0) return;
        auto copy = std::shared_ptr<AVPacket>(av_packet_clone(p), [](AVPacket* q) { av_packet_free(&q); });
        if (!copy) throw std::bad_alloc();
        if (copy->pts != AV_NOPTS_VALUE) copy->pts += shift;
        if (copy->dts != AV_NOPTS_VALUE) copy->dts += shift;
        copy->pos = -1;
        pending_audio.push_back({std::move(copy)});
        // A consumer that never takes audio must not grow memory without bound.
        if (pending_audio.size() > 2000) pending_audio.pop_front();
    }

    // Back to the start of the file; times continue from where the last pass ended.
    void rewind() {
        loop_offset = last_time + frame_step;
        av::check(av_seek_frame(fmt.get(), video, fmt->streams[video]->start_time != AV_NOPTS_VALUE ? fmt->streams[video]->start_time : 0,
                                AVSEEK_FLAG_BACKWARD),
                  ErrorKind::Input, "cannot loop (seek to the start failed)", spec);
        avcodec_flush_buffers(dec.get());
        input_done = false;
    }

    // Pulls packets until the decoder has a frame; false at the end (or when the sender closed).
    bool decode_one() {
        for (;;) {
            const int r = avcodec_receive_frame(dec.get(), frame.get());
            if (r == 0) return true;
            if (r == AVERROR_EOF) {
                if (kind == LiveInputKind::File && opt.loop && delivered > 0) {
                    rewind();
                    continue;
                }
                return false;
            }
            if (r != AVERROR(EAGAIN)) fail(ErrorKind::Input, "corrupt video data (" + av::error_string(r) + ")", spec);
            if (input_done) {
                avcodec_send_packet(dec.get(), nullptr);
                continue;
            }
            watch.arm(opt.timeout_s);
            const int rr = av_read_frame(fmt.get(), pkt.get());
            if (rr == AVERROR_EXIT) stalled_or_stopped("stream stopped");
            if (rr == AVERROR_EOF || (rr == AVERROR(EIO) && fmt->pb && avio_feof(fmt->pb))) {
                input_done = true;
                avcodec_send_packet(dec.get(), nullptr);
                continue;
            }
            if (rr < 0) fail(ErrorKind::Input, "stream lost (" + av::error_string(rr) + ")", spec);
            if (pkt->stream_index == video) {
                packet_time = Clock::now();
                const int s = avcodec_send_packet(dec.get(), pkt.get());
                av_packet_unref(pkt.get());
                if (s < 0 && s != AVERROR(EAGAIN) && s != AVERROR_INVALIDDATA)
                    fail(ErrorKind::Input, "decoder error (" + av::error_string(s) + ")", spec);
            } else {
                if (pkt->stream_index == audio) keep_audio(pkt.get());
                av_packet_unref(pkt.get());
            }
        }
    }

    // Sleeps until input time `t` is due on the wall clock (realtime files); wakes for `stop`.
    void pace(double t) {
        const auto now = Clock::now();
        if (!paced) {
            pace_origin = now - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t));
            paced = true;
        }
        const auto due = pace_origin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t));
        // Fell behind by more than two frames (a warm-up, a stalled machine): restart the
        // schedule from now, as a camera simply delivers its next frame (it never bursts).
        if (now - due > std::chrono::duration<double>(2 * frame_step)) {
            pace_origin = now - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t));
            return;
        }
        while (Clock::now() < due) {
            if (watch.stop && watch.stop->load()) return;
            std::this_thread::sleep_until(std::min(due, Clock::now() + std::chrono::milliseconds(50)));
        }
    }
};

LiveInputKind LiveInput::kind_of(const std::string& spec) {
    if (starts_with(spec, "v4l2:") || starts_with(spec, "/dev/video")) return LiveInputKind::Camera;
    if (spec.find("://") != std::string::npos && !starts_with(spec, "file://")) return LiveInputKind::Network;
    return LiveInputKind::File;
}

LiveInput::LiveInput(const std::string& spec, const LiveInputOptions& options, const std::atomic<bool>* stop)
    : impl_(std::make_unique<Impl>()) {
    auto& m = *impl_;
    m.spec = spec;
    m.opt = options;
    m.kind = kind_of(spec);
    m.watch.stop = stop;
    if (m.opt.timeout_s <= 0) m.opt.timeout_s = 5.0;
    m.loop_offset = m.opt.clock_offset_s;
    m.open();
}

LiveInput::~LiveInput() = default;

LiveInputKind LiveInput::kind() const { return impl_->kind; }
const MediaInfo& LiveInput::info() const { return impl_->info; }
const std::string& LiveInput::name() const { return impl_->spec; }

bool LiveInput::read(Frame& out, SteadyTime& captured) {
    auto& m = *impl_;
    const auto t0 = Clock::now();
    if (!m.decode_one()) return false;
    AVFrame* f = m.frame.get();
    AVStream* vs = m.fmt->streams[m.video];
    std::int64_t pts = f->best_effort_timestamp;
    if (m.start_pts == AV_NOPTS_VALUE) m.start_pts = pts == AV_NOPTS_VALUE ? 0 : pts;
    double t = pts == AV_NOPTS_VALUE ? m.last_time + m.frame_step : (pts - m.start_pts) * av_q2d(vs->time_base) + m.loop_offset;
    // Cameras and streams restart their clocks; a frame never goes back in time.
    if (m.delivered > 0 && t <= m.last_time) t = m.last_time + m.frame_step * 0.5;
    m.last_time = t;
    m.convert.to_rgba(f, out.rgba, m.spec);
    out.chroma = m.convert.sampling();
    av_frame_unref(f);
    out.has_alpha = m.info.has_alpha;
    out.index = m.delivered++;
    out.time = t;
    out.pts = static_cast<std::int64_t>(t * 1000.0 + 0.5);  // milliseconds on the input's clock
    m.read_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (m.kind == LiveInputKind::File && m.opt.realtime) {
        m.pace(t);
        captured = Clock::now();
    } else {
        captured = m.kind == LiveInputKind::File ? Clock::now() : m.packet_time;
    }
    return true;
}

double LiveInput::last_read_ms() const { return impl_->read_ms; }
std::deque<AudioPacket> LiveInput::take_audio() { return std::exchange(impl_->pending_audio, {}); }
const AVCodecParameters* LiveInput::audio_parameters() const {
    return impl_->audio >= 0 ? impl_->fmt->streams[impl_->audio]->codecpar : nullptr;
}
int LiveInput::audio_tb_num() const { return impl_->audio >= 0 ? impl_->fmt->streams[impl_->audio]->time_base.num : 1; }
int LiveInput::audio_tb_den() const { return impl_->audio >= 0 ? impl_->fmt->streams[impl_->audio]->time_base.den : 1; }

}  // namespace keyswap::io
