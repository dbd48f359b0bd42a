#include "keyswap/io/audio_carry.hpp"

#include <algorithm>

namespace keyswap::io {

struct AudioCarry::Impl {
    AVFormatContext* out = nullptr;
    AVStream* stream = nullptr;
    AVRational in_tb{};
    std::string path;
    bool copy = false;
    // re-encode path
    av::CodecPtr dec, enc;
    av::SwrPtr swr;
    av::FifoPtr fifo;
    av::FramePtr in_frame = av::make_frame();
    av::PacketPtr out_pkt = av::make_packet();
    std::int64_t next_pts = AV_NOPTS_VALUE;

    void write_packet(AVPacket* p, AVRational from) {
        av_packet_rescale_ts(p, from, stream->time_base);
        p->stream_index = stream->index;
        av::check(av_interleaved_write_frame(out, p), ErrorKind::Output, "cannot write audio", path);
    }

    void drain_encoder() {
        for (;;) {
            const int r = avcodec_receive_packet(enc.get(), out_pkt.get());
            if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
            av::check(r, ErrorKind::Output, "audio encoder failed", path);
            write_packet(out_pkt.get(), enc->time_base);
        }
    }

    void encode_fifo(bool final) {
        const int fs = enc->frame_size > 0 ? enc->frame_size : 1024;
        while (av_audio_fifo_size(fifo.get()) >= fs || (final && av_audio_fifo_size(fifo.get()) > 0)) {
            const int n = std::min(fs, av_audio_fifo_size(fifo.get()));
            av::FramePtr f = av::make_frame();
            f->nb_samples = n;
            f->format = enc->sample_fmt;
            f->sample_rate = enc->sample_rate;
            av::check(av_channel_layout_copy(&f->ch_layout, &enc->ch_layout), ErrorKind::Output, "out of memory for audio", path);
            av::check(av_frame_get_buffer(f.get(), 0), ErrorKind::Output, "out of memory for audio", path);
            if (av_audio_fifo_read(fifo.get(), reinterpret_cast<void**>(f->data), n) < n)
                fail(ErrorKind::Output, "audio buffer underrun", path);
            f->pts = next_pts;
            next_pts += n;
            av::check(avcodec_send_frame(enc.get(), f.get()), ErrorKind::Output, "audio encoder failed", path);
            drain_encoder();
        }
    }

    void convert_and_queue(const AVFrame* f) {
        const int max_out = swr_get_out_samples(swr.get(), f ? f->nb_samples : 0);
        if (max_out <= 0) return;
        uint8_t** buf = nullptr;
        av::check(av_samples_alloc_array_and_samples(&buf, nullptr, enc->ch_layout.nb_channels, max_out, enc->sample_fmt, 0),
                  ErrorKind::Output, "out of memory for audio", path);
        const int got = swr_convert(swr.get(), buf, max_out, f ? const_cast<const uint8_t**>(f->extended_data) : nullptr,
                                    f ? f->nb_samples : 0);
        const int queued = got > 0 ? av_audio_fifo_write(fifo.get(), reinterpret_cast<void**>(buf), got) : 0;
        av_freep(&buf[0]);
        av_freep(&buf);
        if (got < 0) fail(ErrorKind::Output, "audio resampling failed", path);
        if (queued < got) fail(ErrorKind::Output, "out of memory for audio", path);
    }

    void decode(AVPacket* p) {
        const int s = avcodec_send_packet(dec.get(), p);
        if (s < 0 && s != AVERROR_EOF) return;  // a damaged audio packet is skipped, not fatal
        for (;;) {
            const int r = avcodec_receive_frame(dec.get(), in_frame.get());
            if (r < 0) return;
            if (next_pts == AV_NOPTS_VALUE) {
                const std::int64_t t = in_frame->pts != AV_NOPTS_VALUE ? in_frame->pts : 0;
                next_pts = std::max<std::int64_t>(0, av_rescale_q(t, in_tb, enc->time_base));
            }
            convert_and_queue(in_frame.get());
            av_frame_unref(in_frame.get());
            encode_fifo(false);
        }
    }
};

AudioCarry::AudioCarry(AVFormatContext* out, const AVCodecParameters* in, AVRational in_tb, const std::string& encoder,
                       const std::string& path)
    : impl_(std::make_unique<Impl>()) {
    auto& m = *impl_;
    m.out = out;
    m.in_tb = in_tb;
    m.path = path;
    m.copy = avformat_query_codec(out->oformat, in->codec_id, FF_COMPLIANCE_NORMAL) == 1;
    m.stream = avformat_new_stream(out, nullptr);
    if (!m.stream) throw std::bad_alloc();
    if (m.copy) {
        av::check(avcodec_parameters_copy(m.stream->codecpar, in), ErrorKind::Output, "cannot copy audio", path);
        m.stream->codecpar->codec_tag = 0;
        m.stream->time_base = in_tb;
        return;
    }
    const AVCodec* dc = avcodec_find_decoder(in->codec_id);
    const AVCodec* ec = avcodec_find_encoder_by_name(encoder.c_str());
    if (!dc) fail(ErrorKind::Input, std::string("unsupported audio codec '") + avcodec_get_name(in->codec_id) + "'", path);
    if (!ec) fail(ErrorKind::Output, "audio encoder " + encoder + " is not available", path);
    m.dec.reset(avcodec_alloc_context3(dc));
    if (!m.dec) throw std::bad_alloc();
    av::check(avcodec_parameters_to_context(m.dec.get(), in), ErrorKind::Input, "bad audio codec parameters", path);
    m.dec->pkt_timebase = in_tb;
    av::check(avcodec_open2(m.dec.get(), dc, nullptr), ErrorKind::Input, "cannot open the audio decoder", path);

    m.enc.reset(avcodec_alloc_context3(ec));
    if (!m.enc) throw std::bad_alloc();
    m.enc->sample_fmt = ec->sample_fmts ? ec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
    int rate = m.dec->sample_rate > 0 ? m.dec->sample_rate : 48000;
    if (ec->supported_samplerates) {
        int best = ec->supported_samplerates[0];
        for (const int* r = ec->supported_samplerates; *r; ++r)
            if (*r == rate) best = rate;
        // Opus only takes a few rates; 48 kHz is its native one.
        if (best != rate) best = 48000;
        rate = best;
    }
    m.enc->sample_rate = rate;
    if (m.dec->ch_layout.nb_channels > 0 && m.dec->ch_layout.nb_channels <= 2)
        av_channel_layout_default(&m.enc->ch_layout, m.dec->ch_layout.nb_channels);
    else
        av_channel_layout_default(&m.enc->ch_layout, 2);
    m.enc->bit_rate = 160000;
    m.enc->time_base = AVRational{1, rate};
    if (out->oformat->flags & AVFMT_GLOBALHEADER) m.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av::check(avcodec_open2(m.enc.get(), ec, nullptr), ErrorKind::Output, "cannot open the " + encoder + " encoder", path);
    av::check(avcodec_parameters_from_context(m.stream->codecpar, m.enc.get()), ErrorKind::Output, "audio parameters", path);
    m.stream->time_base = m.enc->time_base;

    SwrContext* swr = nullptr;
    // av_channel_layout_copy uninitialises its destination first: it must start zeroed.
    AVChannelLayout in_layout{};
    if (m.dec->ch_layout.nb_channels > 0)
        av::check(av_channel_layout_copy(&in_layout, &m.dec->ch_layout), ErrorKind::Output, "cannot copy the audio layout", path);
    else av_channel_layout_default(&in_layout, 2);
    const int set = swr_alloc_set_opts2(&swr, &m.enc->ch_layout, m.enc->sample_fmt, m.enc->sample_rate, &in_layout,
                                        m.dec->sample_fmt, m.dec->sample_rate, 0, nullptr);
    av_channel_layout_uninit(&in_layout);
    av::check(set, ErrorKind::Output, "cannot set up audio resampling", path);
    m.swr.reset(swr);
    av::check(swr_init(swr), ErrorKind::Output, "cannot set up audio resampling", path);
    m.fifo.reset(av_audio_fifo_alloc(m.enc->sample_fmt, m.enc->ch_layout.nb_channels, 4096));
    if (!m.fifo) throw std::bad_alloc();
}

AudioCarry::~AudioCarry() = default;

bool AudioCarry::copying() const { return impl_->copy; }

void AudioCarry::write(AVPacket* packet) {
    auto& m = *impl_;
    if (m.copy) {
        av::PacketPtr p(av_packet_clone(packet));
        if (!p) throw std::bad_alloc();
        m.write_packet(p.get(), m.in_tb);
        return;
    }
    m.decode(packet);
}

void AudioCarry::flush() {
    auto& m = *impl_;
    if (m.copy) return;
    m.decode(nullptr);
    if (m.next_pts == AV_NOPTS_VALUE) m.next_pts = 0;
    m.convert_and_queue(nullptr);
    m.encode_fifo(true);
    const int r = avcodec_send_frame(m.enc.get(), nullptr);
    if (r < 0 && r != AVERROR_EOF) av::check(r, ErrorKind::Output, "audio encoder failed", m.path);
    m.drain_encoder();
}

}  // namespace keyswap::io
