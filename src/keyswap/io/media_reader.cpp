#include "keyswap/io/media_reader.hpp"

#include "keyswap/io/frames.hpp"

#include <cmath>
#include <system_error>
#include <vector>

#include "keyswap/io/av_util.hpp"
#include "keyswap/io/rgba_convert.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace keyswap::io {

namespace fs = std::filesystem;

namespace {

bool is_pattern(const std::string& p) { return is_frame_pattern(p); }

const AVCodec* pick_decoder(const AVStream* st) {
    // FFmpeg's native VP8/VP9 decoders drop the alpha plane that WebM carries as side data;
    // libvpx decodes it, so prefer it when the stream says it has alpha.
    const AVDictionaryEntry* alpha = av_dict_get(st->metadata, "alpha_mode", nullptr, 0);
    if (alpha && std::string(alpha->value) == "1") {
        if (st->codecpar->codec_id == AV_CODEC_ID_VP9)
            if (auto* c = avcodec_find_decoder_by_name("libvpx-vp9")) return c;
        if (st->codecpar->codec_id == AV_CODEC_ID_VP8)
            if (auto* c = avcodec_find_decoder_by_name("libvpx")) return c;
    }
    return avcodec_find_decoder(st->codecpar->codec_id);
}

std::string matrix_name(AVColorSpace cs) {
    switch (cs) {
        case AVCOL_SPC_BT709: return "bt709";
        case AVCOL_SPC_BT470BG:
        case AVCOL_SPC_SMPTE170M: return "bt601";
        case AVCOL_SPC_BT2020_NCL:
        case AVCOL_SPC_BT2020_CL: return "bt2020";
        case AVCOL_SPC_RGB: return "rgb";
        default: return "unknown";
    }
}

}  // namespace

struct MediaReader::Impl {
    std::string path;
    ReaderOptions opt;
    av::InputPtr fmt;
    av::CodecPtr dec;
    int video = -1;
    int audio = -1;
    MediaInfo info;
    av::PacketPtr pkt = av::make_packet();
    av::FramePtr frame = av::make_frame();
    RgbaConverter convert;
    bool input_done = false;    // av_read_frame reached the end
    bool decoder_done = false;  // decoder fully drained
    std::int64_t decoded = 0;   // frames out of the decoder, in range or not
    std::int64_t delivered = 0;
    std::int64_t start_pts = AV_NOPTS_VALUE;  // video pts of the range's first frame
    std::int64_t last_pts = AV_NOPTS_VALUE;
    std::int64_t end_pts = AV_NOPTS_VALUE;    // set when the range ends before the file does
    std::int64_t time_origin = AV_NOPTS_VALUE;  // pts of the first frame delivered (warm-up or not)
    std::int64_t warm_delivered = 0;
    std::deque<AudioPacket> pending_audio;

    void open() {
        const bool pattern = is_pattern(path);
        std::error_code ec;
        if (!pattern) {
            if (!fs::exists(path, ec)) fail(ErrorKind::Input, "file not found", path);
            if (fs::is_directory(path, ec)) fail(ErrorKind::Input, "is a folder, not a media file", path);
            if (fs::file_size(path, ec) == 0) fail(ErrorKind::Input, "file is empty", path);
        }
        AVDictionary* dopts = nullptr;
        const AVInputFormat* ifmt = nullptr;
        if (pattern) {
            ifmt = av_find_input_format("image2");
            av_dict_set(&dopts, "framerate", std::to_string(opt.sequence_fps).c_str(), 0);
        }
        AVFormatContext* raw = nullptr;
        const int r = avformat_open_input(&raw, path.c_str(), ifmt, &dopts);
        av_dict_free(&dopts);
        if (r < 0) {
            if (pattern) fail(ErrorKind::Input, "no image matches this sequence pattern", path);
            if (r == AVERROR_EOF) fail(ErrorKind::Input, "contains no video frames (the file ends before its first frame)", path);
            fail(ErrorKind::Input, "cannot open: not a media file or corrupt (" + av::error_string(r) + ")", path);
        }
        fmt.reset(raw);
        // Containers that state the size in their header (y4m, mkv, mp4, ...) are checked
        // before stream info reads (and allocates) a first picture; decoders refuse more than
        // kMaxFrameSide^2 pixels while probing, then the side is checked below.
        for (unsigned i = 0; i < fmt->nb_streams; ++i)
            if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
                check_size(fmt->streams[i]->codecpar->width, fmt->streams[i]->codecpar->height);
        std::vector<AVDictionary*> probe_opts(fmt->nb_streams, nullptr);
        const std::string max_pixels = std::to_string(std::int64_t(kMaxFrameSide) * kMaxFrameSide);
        for (auto*& d : probe_opts) av_dict_set(&d, "max_pixels", max_pixels.c_str(), 0);
        const int found = avformat_find_stream_info(fmt.get(), probe_opts.empty() ? nullptr : probe_opts.data());
        for (auto*& d : probe_opts) av_dict_free(&d);
        av::check(found, ErrorKind::Input, "cannot read stream info", path);

        video = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
        if (video < 0) fail(ErrorKind::Input, "has no video or image stream", path);
        AVStream* vs = fmt->streams[video];
        // Stream info decodes the first picture; no size means it could not (e.g. text named .jpg).
        if (vs->codecpar->width <= 0 || vs->codecpar->height <= 0)
            fail(ErrorKind::Input, "cannot decode the first picture: corrupt or not a " +
                                       std::string(avcodec_get_name(vs->codecpar->codec_id)) + " file", path);
        const AVCodec* codec = pick_decoder(vs);
        if (!codec) {
            // FFmpeg names codecs it does not know "none"; the file's fourcc is what a user can look up.
            std::string name = avcodec_get_name(vs->codecpar->codec_id);
            if (vs->codecpar->codec_id == AV_CODEC_ID_NONE && vs->codecpar->codec_tag) {
                char tag[AV_FOURCC_MAX_STRING_SIZE] = {0};
                name = av_fourcc_make_string(tag, vs->codecpar->codec_tag);
            }
            fail(ErrorKind::Input, "unsupported video codec '" + name + "'", path);
        }
        // Frames are allocated at the stream's size: refuse absurd sizes before any allocation
        // (a corrupt or hostile header can claim 60000x60000).
        check_size(vs->codecpar->width, vs->codecpar->height);
        dec.reset(avcodec_alloc_context3(codec));
        if (!dec) throw std::bad_alloc();
        av::check(avcodec_parameters_to_context(dec.get(), vs->codecpar), ErrorKind::Input, "bad codec parameters", path);
        // FFmpeg 5.1's WebP decoder with frame threads aborts the process (an assertion in
        // decode.c) on some damaged files, found by bench/fuzz.sh: decode WebP on one thread.
        dec->thread_count = vs->codecpar->codec_id == AV_CODEC_ID_WEBP ? 1 : 0;
        dec->max_pixels = std::int64_t(kMaxFrameSide) * kMaxFrameSide;
        dec->pkt_timebase = vs->time_base;
        av::check(avcodec_open2(dec.get(), codec, nullptr), ErrorKind::Input,
                  std::string("cannot open the ") + codec->name + " decoder", path);
        for (unsigned i = 0; i < fmt->nb_streams; ++i)
            if (static_cast<int>(i) != video) fmt->streams[i]->discard = AVDISCARD_ALL;
        if (opt.want_audio) {
            audio = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_AUDIO, -1, video, nullptr, 0);
            if (audio < 0) audio = -1;
            else fmt->streams[audio]->discard = AVDISCARD_DEFAULT;
        }
        fill_info();
    }

    void fill_info() {
        AVStream* vs = fmt->streams[video];
        info.path = path;
        info.container = fmt->iformat->name;
        const std::string cname = fmt->iformat->name;
        info.is_sequence = is_pattern(path);
        info.is_image = !info.is_sequence && (cname.find("_pipe") != std::string::npos || cname == "image2");
        info.width = vs->codecpar->width;
        info.height = vs->codecpar->height;
        AVRational fr = vs->avg_frame_rate.num ? vs->avg_frame_rate : vs->r_frame_rate;
        info.fps_num = fr.num;
        info.fps_den = fr.den ? fr.den : 1;
        info.tb_num = vs->time_base.num;
        info.tb_den = vs->time_base.den;
        info.variable_frame_rate = vs->avg_frame_rate.num && vs->r_frame_rate.num &&
                                   av_cmp_q(vs->avg_frame_rate, vs->r_frame_rate) != 0;
        if (vs->duration != AV_NOPTS_VALUE) info.duration = vs->duration * av_q2d(vs->time_base);
        else if (fmt->duration != AV_NOPTS_VALUE) info.duration = fmt->duration / double(AV_TIME_BASE);
        info.frames = vs->nb_frames;
        if (info.frames <= 0 && info.is_image) info.frames = 1;
        if (info.frames <= 0 && info.duration > 0 && info.fps() > 0) info.frames = std::llround(info.duration * info.fps());
        info.video_codec = avcodec_get_name(vs->codecpar->codec_id);
        const auto pf = static_cast<AVPixelFormat>(dec->pix_fmt);
        const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(pf);
        info.pixel_format = d ? d->name : "unknown";
        info.has_alpha = d && (d->flags & AV_PIX_FMT_FLAG_ALPHA);
        if (d && !info.has_alpha && dec->codec && std::string(dec->codec->name).rfind("libvpx", 0) == 0) {
            const AVDictionaryEntry* a = av_dict_get(vs->metadata, "alpha_mode", nullptr, 0);
            info.has_alpha = a && std::string(a->value) == "1";
        }
        info.color_matrix = matrix_name(vs->codecpar->color_space);
        const bool full = vs->codecpar->color_range == AVCOL_RANGE_JPEG || (d && (d->flags & AV_PIX_FMT_FLAG_RGB)) ||
                          info.pixel_format.rfind("yuvj", 0) == 0;
        info.color_range = full ? "pc" : "tv";
        if (audio >= 0) {
            AVStream* as = fmt->streams[audio];
            info.has_audio = true;
            info.audio_codec = avcodec_get_name(as->codecpar->codec_id);
            info.audio_rate = as->codecpar->sample_rate;
            info.audio_channels = as->codecpar->ch_layout.nb_channels;
        }
    }

    void check_size(int w, int h) const {
        if (w > kMaxFrameSide || h > kMaxFrameSide)
            fail(ErrorKind::Input, "frame size " + std::to_string(w) + "x" + std::to_string(h) + " is beyond what keyswap takes (" +
                                       std::to_string(kMaxFrameSide) + " pixels a side)", path);
    }

    // While frames before the range are skipped, audio before the newest skipped frame can
    // never be kept (take_audio keeps only what reaches the range's first frame): drop it now
    // instead of holding the whole skipped stretch in memory.
    void drop_audio_before(std::int64_t video_pts) {
        if (audio < 0 || pending_audio.empty()) return;
        const std::int64_t t = av_rescale_q(video_pts, fmt->streams[video]->time_base, fmt->streams[audio]->time_base);
        while (!pending_audio.empty()) {
            const AVPacket* p = pending_audio.front().packet.get();
            const std::int64_t at = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
            if (at != AV_NOPTS_VALUE && at + std::max<std::int64_t>(p->duration, 0) > t) break;
            pending_audio.pop_front();
        }
    }

    void keep_audio(AVPacket* p) {
        auto copy = std::shared_ptr<AVPacket>(av_packet_clone(p), [](AVPacket* q) { av_packet_free(&q); });
        if (!copy) throw std::bad_alloc();
        pending_audio.push_back({std::move(copy)});
    }

    // Pulls packets until the decoder has a frame; false when everything is drained.
    bool decode_one() {
        for (;;) {
            const int r = avcodec_receive_frame(dec.get(), frame.get());
            if (r == 0) return true;
            if (r == AVERROR_EOF) {
                decoder_done = true;
                return false;
            }
            if (r != AVERROR(EAGAIN))
                fail(ErrorKind::Input, "corrupt video data at frame " + std::to_string(decoded) + " (" + av::error_string(r) + ")", path);
            if (input_done) {
                avcodec_send_packet(dec.get(), nullptr);
                continue;
            }
            const int rr = av_read_frame(fmt.get(), pkt.get());
            if (rr == AVERROR_EOF || (rr == AVERROR(EIO) && fmt->pb && avio_feof(fmt->pb))) {
                input_done = true;
                avcodec_send_packet(dec.get(), nullptr);
                continue;
            }
            if (rr < 0) fail(ErrorKind::Input, "read error (" + av::error_string(rr) + ")", path);
            if (pkt->stream_index == video) {
                const int s = avcodec_send_packet(dec.get(), pkt.get());
                av_packet_unref(pkt.get());
                // A damaged packet in the middle of a file is skipped, as players do; a file whose
                // very first packets fail is reported as corrupt when no frame comes out at all.
                if (s < 0 && s != AVERROR(EAGAIN) && s != AVERROR_INVALIDDATA)
                    fail(ErrorKind::Input, "decoder error (" + av::error_string(s) + ")", path);
            } else if (pkt->stream_index == audio) {
                keep_audio(pkt.get());
                av_packet_unref(pkt.get());
            } else {
                av_packet_unref(pkt.get());
            }
        }
    }

    void drain_remaining_audio() {
        // Audio after the last video packet still belongs to the output.
        if (audio < 0 || input_done) return;
        while (av_read_frame(fmt.get(), pkt.get()) >= 0) {
            if (pkt->stream_index == audio) keep_audio(pkt.get());
            av_packet_unref(pkt.get());
        }
        input_done = true;
    }
};

MediaReader::MediaReader(const fs::path& path, ReaderOptions options) : impl_(std::make_unique<Impl>()) {
    av::quiet_logs();
    impl_->path = path.string();
    impl_->opt = options;
    impl_->open();
}

MediaReader::~MediaReader() = default;

const MediaInfo& MediaReader::info() const { return impl_->info; }

bool MediaReader::read(Frame& out) {
    auto& m = *impl_;
    if (m.end_pts != AV_NOPTS_VALUE) return false;
    for (;;) {
        if (m.decoder_done || !m.decode_one()) {
            if (m.audio >= 0 && m.start_pts != AV_NOPTS_VALUE && m.end_pts == AV_NOPTS_VALUE) m.drain_remaining_audio();
            return false;
        }
        const std::int64_t index = m.decoded++;
        AVFrame* f = m.frame.get();
        std::int64_t pts = f->best_effort_timestamp;
        if (pts == AV_NOPTS_VALUE) pts = m.last_pts == AV_NOPTS_VALUE ? 0 : m.last_pts + std::max<std::int64_t>(1, f->pkt_duration);
        if (m.opt.last_frame >= 0 && index > m.opt.last_frame) {
            m.end_pts = pts;
            av_frame_unref(f);
            return false;
        }
        const bool warm = index < m.opt.first_frame;
        if (warm) m.drop_audio_before(pts);
        if (warm && index < m.opt.first_frame - m.opt.warm_up) {
            av_frame_unref(f);
            continue;
        }
        m.check_size(f->width, f->height);  // an image sequence may change size mid-way
        if (m.time_origin == AV_NOPTS_VALUE) m.time_origin = pts;
        if (!warm && m.start_pts == AV_NOPTS_VALUE) m.start_pts = pts;
        m.last_pts = pts;
        m.convert.to_rgba(f, out.rgba, m.path);
        out.chroma = m.convert.sampling();
        AVStream* vs = m.fmt->streams[m.video];
        out.has_alpha = m.info.has_alpha;
        out.warm_up = warm;
        // Warm-up frames count down to the range's first frame (index -1 just before it); the
        // range's pts starts at 0 and times run on from the warm-up's without a jump.
        out.index = warm ? index - m.opt.first_frame : m.delivered++;
        out.pts = warm ? -(m.opt.first_frame - index) : pts - m.start_pts;
        out.time = (pts - m.time_origin) * av_q2d(vs->time_base);
        if (warm) ++m.warm_delivered;
        av_frame_unref(f);
        return true;
    }
}

std::deque<AudioPacket> MediaReader::take_audio() {
    auto& m = *impl_;
    std::deque<AudioPacket> out;
    if (m.audio < 0 || m.start_pts == AV_NOPTS_VALUE) return out;
    AVStream* vs = m.fmt->streams[m.video];
    AVStream* as = m.fmt->streams[m.audio];
    const std::int64_t start = av_rescale_q(m.start_pts, vs->time_base, as->time_base);
    const std::int64_t end = m.end_pts == AV_NOPTS_VALUE ? INT64_MAX : av_rescale_q(m.end_pts, vs->time_base, as->time_base);
    while (!m.pending_audio.empty()) {
        AudioPacket a = std::move(m.pending_audio.front());
        m.pending_audio.pop_front();
        AVPacket* p = a.packet.get();
        const std::int64_t t = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
        // Keep the packet that straddles the start so the output has no silent gap there.
        if (t == AV_NOPTS_VALUE || t + std::max<std::int64_t>(p->duration, 0) <= start || t >= end) continue;
        if (p->pts != AV_NOPTS_VALUE) p->pts -= start;
        if (p->dts != AV_NOPTS_VALUE) p->dts -= start;
        out.push_back(std::move(a));
    }
    return out;
}

const AVCodecParameters* MediaReader::audio_parameters() const {
    return impl_->audio >= 0 ? impl_->fmt->streams[impl_->audio]->codecpar : nullptr;
}
int MediaReader::audio_tb_num() const { return impl_->audio >= 0 ? impl_->fmt->streams[impl_->audio]->time_base.num : 1; }
int MediaReader::audio_tb_den() const { return impl_->audio >= 0 ? impl_->fmt->streams[impl_->audio]->time_base.den : 1; }
double MediaReader::range_start() const {
    auto& m = *impl_;
    return m.start_pts == AV_NOPTS_VALUE ? 0.0 : m.start_pts * av_q2d(m.fmt->streams[m.video]->time_base);
}
double MediaReader::range_end() const {
    auto& m = *impl_;
    return m.end_pts == AV_NOPTS_VALUE ? -1.0 : m.end_pts * av_q2d(m.fmt->streams[m.video]->time_base);
}
std::int64_t MediaReader::frames_read() const { return impl_->delivered; }
std::size_t MediaReader::audio_backlog() const { return impl_->pending_audio.size(); }

Frame read_image(const fs::path& path) {
    ReaderOptions o;
    o.want_audio = false;
    o.last_frame = 0;
    MediaReader r(path, o);
    // Photos, plates and masks are stills: taking a video's first frame silently would key or
    // swap against a picture the user never chose (and its "no face" would mislead).
    if (!r.info().is_image && r.info().frames > 1)
        fail(ErrorKind::Input, "is a video, not an image; give a photo (PNG, JPEG, WebP or TIFF)", path.string());
    Frame f;
    if (!r.read(f)) fail(ErrorKind::Input, "contains no image (corrupt or empty)", path.string());
    return f;
}

MediaInfo probe(const fs::path& path, bool count_frames) {
    ReaderOptions o;
    MediaReader r(path, o);
    MediaInfo info = r.info();
    if (count_frames && !info.is_image) {
        Frame f;
        std::int64_t n = 0;
        while (r.read(f)) {
            ++n;
            (void)r.take_audio();  // counted, not carried: do not let it pile up
        }
        if (n == 0) fail(ErrorKind::Input, "contains no video frames", path.string());
        info.frames = n;
    }
    return info;
}

}  // namespace keyswap::io
