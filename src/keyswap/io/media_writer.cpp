#include "keyswap/io/media_writer.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <system_error>

#include "keyswap/io/audio_carry.hpp"
#include "keyswap/io/av_util.hpp"
#include "keyswap/io/frames.hpp"
#include "keyswap/io/muxed_file.hpp"
#include "keyswap/io/rgba_convert.hpp"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace keyswap::io {

namespace fs = std::filesystem;

namespace {

// An option the encoder does not take would otherwise vanish without a word: say which.
void set_opt(AVCodecContext* c, const char* key, const std::string& value) {
    const int rc = av_opt_set(c->priv_data, key, value.c_str(), 0);
    if (rc < 0)
        spdlog::warn("keyswap: the {} encoder rejected {}={} ({}); it is ignored", c->codec ? c->codec->name : "?", key,
                     value, av::error_string(rc));
}

// Codec settings that make each format behave as a user of that format expects.
void tune_encoder(AVCodecContext* c, const OutputFormat& f, const EncodeOptions& o) {
    const std::string& e = f.encoder;
    if (e == "libx264" || e == "libx265") {
        set_opt(c, "crf", std::to_string(o.crf >= 0 ? o.crf : (e == "libx264" ? 18 : 20)));
        set_opt(c, "preset", o.preset.empty() ? "fast" : o.preset);
        if (e == "libx265") set_opt(c, "x265-params", "log-level=error");
    } else if (e == "libvpx-vp9") {
        set_opt(c, "crf", std::to_string(o.crf >= 0 ? o.crf : 30));
        c->bit_rate = 0;
        set_opt(c, "row-mt", "1");
        set_opt(c, "deadline", o.preset.empty() ? "good" : o.preset);
        set_opt(c, "cpu-used", "4");
    } else if (e == "prores_ks") {
        set_opt(c, "profile", "4444");
        set_opt(c, "vendor", "apl0");
    } else if (e == "ffv1") {
        c->level = 3;
        c->gop_size = 1;
        set_opt(c, "slicecrc", "1");
    } else if (e == "libwebp") {
        if (f.pix_fmt == "bgra") set_opt(c, "lossless", "1");
        else set_opt(c, "quality", std::to_string(o.quality));
    } else if (e == "mjpeg") {
        const int q = o.quality >= 0 ? o.quality : 92;
        // mjpeg takes a quantiser: 2 (best) .. 31
        const int qscale = std::clamp(2 + (100 - q) * 29 / 100, 2, 31);
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * qscale;
    }
}

}  // namespace

struct MediaWriter::Impl {
    fs::path final_path;
    OutputFormat fmt;
    VideoParams vp;
    std::unique_ptr<MuxedFile> mux;  // before the streams' owners: they go first
    av::CodecPtr enc;
    AVStream* vstream = nullptr;
    std::unique_ptr<AudioCarry> audio;
    RgbaEncoderConverter convert;
    av::FramePtr frame = av::make_frame();
    av::PacketPtr pkt = av::make_packet();
    std::int64_t last_pts = AV_NOPTS_VALUE;
    std::int64_t written = 0;

    ~Impl() {
        // A failed or interrupted sequence must not look complete either: remove the frames
        // this run wrote (the image2 muxer numbers them from 1; each was written atomically).
        std::error_code ec;
        if (mux && fmt.sequence && mux->started() && !mux->finished())
            for (std::int64_t i = 1; i <= written; ++i) {
                char name[4096];
                if (av_get_frame_filename2(name, sizeof name, mux->write_path().c_str(), static_cast<int>(i), 0) == 0)
                    fs::remove(name, ec);
            }
    }

    void drain() {
        for (;;) {
            const int r = avcodec_receive_packet(enc.get(), pkt.get());
            if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
            av::check(r, ErrorKind::Output, "video encoder failed", final_path.string());
            av_packet_rescale_ts(pkt.get(), enc->time_base, vstream->time_base);
            pkt->stream_index = vstream->index;
            mux->write(pkt.get(), "video");
        }
    }
};

MediaWriter::MediaWriter(const fs::path& path, const VideoParams& video, const EncodeOptions& options,
                         const AudioSource& audio)
    : impl_(std::make_unique<Impl>()) {
    av::quiet_logs();
    auto& m = *impl_;
    m.final_path = path;
    m.fmt = choose_output_format(path, options);
    m.vp = video;
    const std::string p = path.string();
    if (video.width <= 0 || video.height <= 0) fail(ErrorKind::Processing, "no frame size to write", p);

    const AVCodec* codec = avcodec_find_encoder_by_name(m.fmt.encoder.c_str());
    if (!codec) fail(ErrorKind::Output, "encoder " + m.fmt.encoder + " is not available in this FFmpeg", p);
    m.mux = std::make_unique<MuxedFile>(path, m.fmt.muxer, m.fmt.sequence);
    const AVPixelFormat pix = av_get_pix_fmt(m.fmt.pix_fmt.c_str());
    // 4:2:0 codecs need even sizes; say so instead of letting the encoder fail obscurely.
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(pix);
    // libwebp rounds its chroma planes up itself, so lossy WebP takes any size.
    if (d && m.fmt.encoder != "libwebp" && ((video.width & ((1 << d->log2_chroma_w) - 1)) || (video.height & ((1 << d->log2_chroma_h) - 1))))
        fail(ErrorKind::Usage,
             std::to_string(video.width) + "x" + std::to_string(video.height) + " is odd-sized; " + m.fmt.codec_key +
                 " needs even width and height (use .mkv (FFV1), .mov (ProRes) or PNG)",
             p);

    m.enc.reset(avcodec_alloc_context3(codec));
    if (!m.enc) throw std::bad_alloc();
    auto* c = m.enc.get();
    c->width = video.width;
    c->height = video.height;
    c->pix_fmt = pix;
    c->time_base = AVRational{video.tb_num, video.tb_den};
    c->framerate = AVRational{video.fps_num, video.fps_den};
    c->sample_aspect_ratio = AVRational{1, 1};
    c->thread_count = 0;
    if (d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3) {
        c->colorspace = default_matrix(video.width, video.height);
        c->color_range = m.fmt.pix_fmt.rfind("yuvj", 0) == 0 ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
        c->color_primaries = c->colorspace == AVCOL_SPC_BT709 ? AVCOL_PRI_BT709 : AVCOL_PRI_SMPTE170M;
        c->color_trc = c->colorspace == AVCOL_SPC_BT709 ? AVCOL_TRC_BT709 : AVCOL_TRC_SMPTE170M;
    }
    if (m.mux->needs_global_header()) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    tune_encoder(c, m.fmt, options);
    av::check(avcodec_open2(c, codec, nullptr), ErrorKind::Output, "cannot open the " + m.fmt.encoder + " encoder", p);

    m.vstream = avformat_new_stream(m.mux->get(), nullptr);
    if (!m.vstream) throw std::bad_alloc();
    av::check(avcodec_parameters_from_context(m.vstream->codecpar, c), ErrorKind::Output, "video parameters", p);
    m.vstream->time_base = c->time_base;
    m.vstream->avg_frame_rate = c->framerate;
    if (m.fmt.alpha && m.fmt.encoder == "libvpx-vp9") av_dict_set(&m.vstream->metadata, "alpha_mode", "1", 0);

    if (audio.params && !m.fmt.still && !m.fmt.audio_encoder.empty())
        m.audio = std::make_unique<AudioCarry>(m.mux->get(), audio.params, AVRational{audio.tb_num, audio.tb_den},
                                               m.fmt.audio_encoder, p);

    AVDictionary* mux_options = nullptr;
    if (m.fmt.still && !m.fmt.sequence) av_dict_set(&mux_options, "update", "1", 0);
    if (m.fmt.sequence) av_dict_set(&mux_options, "atomic_writing", "1", 0);
    try {
        m.mux->start(&mux_options);
    } catch (...) {
        av_dict_free(&mux_options);
        throw;
    }
    av_dict_free(&mux_options);

    m.convert.configure(video.width, video.height, pix, c->colorspace, c->color_range);
    m.frame->format = pix;
    m.frame->width = video.width;
    m.frame->height = video.height;
    av::check(av_frame_get_buffer(m.frame.get(), 0), ErrorKind::Output, "out of memory for the output frame", p);
}

MediaWriter::~MediaWriter() = default;

const OutputFormat& MediaWriter::format() const { return impl_->fmt; }
bool MediaWriter::has_audio() const { return impl_->audio != nullptr; }
std::int64_t MediaWriter::frames_written() const { return impl_->written; }

void MediaWriter::write(const Frame& f) {
    auto& m = *impl_;
    if (f.rgba.width() != m.vp.width || f.rgba.height() != m.vp.height || f.rgba.channels() != 4)
        fail(ErrorKind::Processing,
             "frame size changed mid-stream (" + std::to_string(f.rgba.width()) + "x" + std::to_string(f.rgba.height()) + ")",
             m.final_path.string());
    // The encoder may still hold a reference to the previous buffer.
    av::check(av_frame_make_writable(m.frame.get()), ErrorKind::Output, "out of memory", m.final_path.string());
    m.convert.convert(f.rgba, m.frame.get());
    std::int64_t pts = f.pts;
    if (m.last_pts != AV_NOPTS_VALUE && pts <= m.last_pts) pts = m.last_pts + 1;
    m.last_pts = pts;
    m.frame->pts = pts;
    av::check(avcodec_send_frame(m.enc.get(), m.frame.get()), ErrorKind::Output, "video encoder failed", m.final_path.string());
    m.drain();
    ++m.written;
}

void MediaWriter::write_audio(const AudioPacket& packet) {
    if (impl_->audio && packet.packet) impl_->audio->write(packet.packet.get());
}

void MediaWriter::finish() {
    auto& m = *impl_;
    if (m.mux->finished()) return;
    const std::string p = m.final_path.string();
    if (m.written == 0) fail(ErrorKind::Processing, "no frames were written", p);
    av::check(avcodec_send_frame(m.enc.get(), nullptr), ErrorKind::Output, "video encoder failed", p);
    m.drain();
    if (m.audio) m.audio->flush();
    m.mux->finish();
}

void write_image(const fs::path& path, const Frame& frame, const EncodeOptions& options) {
    VideoParams vp;
    vp.width = frame.rgba.width();
    vp.height = frame.rgba.height();
    MediaWriter w(path, vp, options);
    if (!w.format().still) fail(ErrorKind::Usage, "not an image format (use .png, .webp, .tif or .jpg)", path.string());
    Frame f;
    f.rgba = frame.rgba;
    w.write(f);
    w.finish();
}

namespace {

bool is_pattern(const fs::path& p) { return is_frame_pattern(p); }

fs::path folder_of(const fs::path& p) { return p.parent_path().empty() ? fs::path(".") : p.parent_path(); }

bool fits_pattern(const fs::path& pattern, const std::string& name) { return matches_frame_pattern(pattern, name); }

// Absolute and normalised, following links that exist.
fs::path normal(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    if (ec) c = fs::absolute(p, ec).lexically_normal();
    return c;
}

bool same_folder(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    const bool same = fs::equivalent(folder_of(a), folder_of(b), ec);
    return !ec && same;
}

// Existing files an input pattern reads.
std::vector<fs::path> pattern_files(const fs::path& pattern) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(folder_of(pattern), ec))
        if (fits_pattern(pattern, e.path().filename().string())) out.push_back(e.path());
    return out;
}

}  // namespace

bool may_overwrite(const fs::path& output, const fs::path& input) {
    if (output.empty() || input.empty()) return false;
    std::error_code ec;
    if (is_pattern(input)) {
        for (const auto& f : pattern_files(input))
            if (may_overwrite(output, f)) return true;
        // Two patterns that match nothing yet (e.g. two outputs): the same text is the same files.
        return is_pattern(output) && normal(output) == normal(input);
    }
    if (is_pattern(output)) {
        if (!same_folder(output, input)) return false;
        const std::string pattern = output.filename().string();
        // A link in the sequence's folder replaced by a frame also loses what it pointed to.
        return fits_pattern(pattern, input.filename().string()) ||
               fits_pattern(pattern, normal(input).filename().string());
    }
    if (fs::exists(output, ec) && fs::exists(input, ec)) {
        const bool same = fs::equivalent(input, output, ec);
        return !ec && same;
    }
    return normal(output) == normal(input);
}

void check_output_path(const std::vector<fs::path>& inputs, const fs::path& output) {
    std::error_code ec;
    for (const auto& input : inputs)
        if (may_overwrite(output, input))
            fail(ErrorKind::Usage,
                 "output would overwrite the input " + input.string() + " (the same file); choose another name",
                 output.string());
    if (fs::is_directory(output, ec)) fail(ErrorKind::Usage, "output is a folder; give a file name", output.string());
    const fs::path dir = folder_of(output);
    if (!fs::is_directory(dir, ec)) fail(ErrorKind::Output, "output folder does not exist", output.string());
    if (::access(dir.c_str(), W_OK) != 0) fail(ErrorKind::Output, "output folder is not writable", output.string());
}

}  // namespace keyswap::io
