#include "keyswap/io/video_packets.hpp"

#include <cstring>

#include "keyswap/io/av_util.hpp"

namespace keyswap::io {

struct VideoPackets::Impl {
    std::string path;
    av::InputPtr fmt;
    int video = -1;
    av::PacketPtr pkt = av::make_packet();
};

VideoPackets::VideoPackets(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
    auto& m = *impl_;
    m.path = path.string();
    m.fmt = av::open_input(m.path);
    m.video = av_find_best_stream(m.fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (m.video < 0) fail(ErrorKind::Input, "has no video stream", m.path);
    for (unsigned i = 0; i < m.fmt->nb_streams; ++i)
        m.fmt->streams[i]->discard = static_cast<int>(i) == m.video ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
}

VideoPackets::~VideoPackets() = default;

const AVCodecParameters* VideoPackets::params() const { return impl_->fmt->streams[impl_->video]->codecpar; }
int VideoPackets::tb_num() const { return impl_->fmt->streams[impl_->video]->time_base.num; }
int VideoPackets::tb_den() const { return impl_->fmt->streams[impl_->video]->time_base.den; }

bool VideoPackets::alpha_layer() const {
    const AVDictionaryEntry* e = av_dict_get(impl_->fmt->streams[impl_->video]->metadata, "alpha_mode", nullptr, 0);
    return e && std::string(e->value) == "1";
}

AVPacket* VideoPackets::next() {
    auto& m = *impl_;
    for (;;) {
        av_packet_unref(m.pkt.get());
        const int r = av_read_frame(m.fmt.get(), m.pkt.get());
        if (r == AVERROR_EOF) return nullptr;
        av::check(r, ErrorKind::Input, "cannot read the video (damaged?)", m.path);
        if (m.pkt->stream_index == m.video) return m.pkt.get();
    }
}

bool same_stream_setup(const VideoPackets& pa, const VideoPackets& pb) {
    if (pa.alpha_layer() != pb.alpha_layer()) return false;
    const AVCodecParameters& a = *pa.params();
    const AVCodecParameters& b = *pb.params();
    if (a.codec_id != b.codec_id || a.width != b.width || a.height != b.height || a.format != b.format) return false;
    if (a.extradata_size != b.extradata_size) return false;
    return a.extradata_size == 0 || std::memcmp(a.extradata, b.extradata, static_cast<std::size_t>(a.extradata_size)) == 0;
}

std::int64_t count_video_packets(const std::filesystem::path& path) {
    VideoPackets in(path);
    std::int64_t n = 0;
    while (in.next()) ++n;
    return n;
}

}  // namespace keyswap::io
