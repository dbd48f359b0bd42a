#include "keyswap/io/packet_writer.hpp"

#include "keyswap/io/audio_carry.hpp"
#include "keyswap/io/av_util.hpp"
#include "keyswap/io/muxed_file.hpp"

namespace keyswap::io {
namespace fs = std::filesystem;

struct PacketWriter::Impl {
    OutputFormat fmt;
    std::unique_ptr<MuxedFile> mux;  // before the streams' owners: they go first
    AVStream* vstream = nullptr;
    AVRational in_tb{1, 1};
    std::unique_ptr<AudioCarry> audio;
    av::PacketPtr pkt = av::make_packet();
    std::int64_t last_dts = AV_NOPTS_VALUE;
    std::int64_t written = 0;
};

bool PacketWriter::can_copy(const AVCodecParameters& video, const fs::path& path, const EncodeOptions& options) {
    const OutputFormat f = choose_output_format(path, options);
    if (f.still || f.sequence) return false;
    const AVCodec* enc = avcodec_find_encoder_by_name(f.encoder.c_str());
    // The pixel format is the parts' own business (a ProRes 4444 decoder reports 12 bits, VP9's
    // alpha travels beside the picture): what must match is the codec.
    if (!enc || enc->id != video.codec_id) return false;
    const AVOutputFormat* muxer = av_guess_format(f.muxer.c_str(), nullptr, nullptr);
    return muxer && avformat_query_codec(muxer, video.codec_id, FF_COMPLIANCE_NORMAL) == 1;
}

PacketWriter::PacketWriter(const fs::path& path, const AVCodecParameters& video, int tb_num, int tb_den, int fps_num,
                           int fps_den, bool alpha_layer, const EncodeOptions& options, const AudioSource& audio)
    : impl_(std::make_unique<Impl>()) {
    av::quiet_logs();
    auto& m = *impl_;
    const std::string p = path.string();
    m.fmt = choose_output_format(path, options);
    if (m.fmt.still || m.fmt.sequence) fail(ErrorKind::Usage, "packets can only be copied into a video file", p);
    m.mux = std::make_unique<MuxedFile>(path, m.fmt.muxer, false);
    m.in_tb = AVRational{tb_num, tb_den};
    m.vstream = avformat_new_stream(m.mux->get(), nullptr);
    if (!m.vstream) throw std::bad_alloc();
    av::check(avcodec_parameters_copy(m.vstream->codecpar, &video), ErrorKind::Output, "video parameters", p);
    m.vstream->codecpar->codec_tag = 0;  // the source container's tag may mean nothing in this one
    m.vstream->time_base = m.in_tb;
    m.vstream->avg_frame_rate = AVRational{fps_num, fps_den};
    if (alpha_layer) av_dict_set(&m.vstream->metadata, "alpha_mode", "1", 0);
    if (audio.params && !m.fmt.audio_encoder.empty())
        m.audio = std::make_unique<AudioCarry>(m.mux->get(), audio.params, AVRational{audio.tb_num, audio.tb_den},
                                               m.fmt.audio_encoder, p);
    m.mux->start();
}

PacketWriter::~PacketWriter() = default;

bool PacketWriter::has_audio() const { return impl_->audio != nullptr; }
std::int64_t PacketWriter::packets_written() const { return impl_->written; }

void PacketWriter::write(const AVPacket& packet) {
    auto& m = *impl_;
    av::check(av_packet_ref(m.pkt.get(), &packet), ErrorKind::Output, "out of memory", m.mux->name());
    AVPacket* q = m.pkt.get();
    av_packet_rescale_ts(q, m.in_tb, m.vstream->time_base);
    if (q->dts == AV_NOPTS_VALUE) q->dts = q->pts;
    if (m.last_dts != AV_NOPTS_VALUE && q->dts <= m.last_dts) q->dts = m.last_dts + 1;
    if (q->pts != AV_NOPTS_VALUE && q->pts < q->dts) q->pts = q->dts;
    m.last_dts = q->dts;
    q->stream_index = m.vstream->index;
    q->pos = -1;
    m.mux->write(q, "video");  // takes the reference
    ++m.written;
}

void PacketWriter::write_audio(const AudioPacket& packet) {
    if (impl_->audio && packet.packet) impl_->audio->write(packet.packet.get());
}

void PacketWriter::finish() {
    auto& m = *impl_;
    if (m.mux->finished()) return;
    if (m.written == 0) fail(ErrorKind::Processing, "no frames were written", m.mux->name());
    if (m.audio) m.audio->flush();
    m.mux->finish();
}

}  // namespace keyswap::io
