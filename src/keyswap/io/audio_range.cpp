#include "keyswap/io/audio_range.hpp"

#include <cmath>
#include <limits>

#include "keyswap/io/av_util.hpp"

namespace keyswap::io {

struct AudioRange::Impl {
    std::string path;
    av::InputPtr fmt;
    int audio = -1;
    std::int64_t start = 0, end = INT64_MAX;  // audio time base
    std::optional<AudioPacket> ahead;
    bool done = false;

    // Reads until a packet in range is held in `ahead` (or the file ends).
    void fill() {
        if (ahead || done || audio < 0) return;
        av::PacketPtr p = av::make_packet();
        for (;;) {
            const int r = av_read_frame(fmt.get(), p.get());
            if (r == AVERROR_EOF) {
                done = true;
                return;
            }
            av::check(r, ErrorKind::Input, "cannot read the audio", path);
            if (p->stream_index != audio) {
                av_packet_unref(p.get());
                continue;
            }
            const std::int64_t t = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
            if (t == AV_NOPTS_VALUE || t + std::max<std::int64_t>(p->duration, 0) <= start || t >= end) {
                av_packet_unref(p.get());
                if (t != AV_NOPTS_VALUE && t >= end) done = true;
                if (done) return;
                continue;
            }
            if (p->pts != AV_NOPTS_VALUE) p->pts -= start;
            if (p->dts != AV_NOPTS_VALUE) p->dts -= start;
            AudioPacket a;
            a.packet.reset(av_packet_clone(p.get()), [](AVPacket* q) { av_packet_free(&q); });
            if (!a.packet) throw std::bad_alloc();
            av_packet_unref(p.get());
            ahead = std::move(a);
            return;
        }
    }
};

AudioRange::AudioRange(const std::filesystem::path& path, double start, double end) : impl_(std::make_unique<Impl>()) {
    auto& m = *impl_;
    m.path = path.string();
    m.fmt = av::open_input(m.path);
    const int video = av_find_best_stream(m.fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    m.audio = av_find_best_stream(m.fmt.get(), AVMEDIA_TYPE_AUDIO, -1, video, nullptr, 0);
    if (m.audio < 0) {
        m.audio = -1;
        return;
    }
    for (unsigned i = 0; i < m.fmt->nb_streams; ++i)
        m.fmt->streams[i]->discard = static_cast<int>(i) == m.audio ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    const AVRational tb = m.fmt->streams[m.audio]->time_base;
    m.start = std::llround(start * tb.den / tb.num);
    if (end >= 0) m.end = std::llround(end * tb.den / tb.num);
}

AudioRange::~AudioRange() = default;

const AVCodecParameters* AudioRange::params() const {
    return impl_->audio >= 0 ? impl_->fmt->streams[impl_->audio]->codecpar : nullptr;
}
int AudioRange::tb_num() const { return impl_->audio >= 0 ? impl_->fmt->streams[impl_->audio]->time_base.num : 1; }
int AudioRange::tb_den() const { return impl_->audio >= 0 ? impl_->fmt->streams[impl_->audio]->time_base.den : 1; }

std::optional<AudioPacket> AudioRange::next() {
    impl_->fill();
    std::optional<AudioPacket> out = std::move(impl_->ahead);
    impl_->ahead.reset();
    return out;
}

double AudioRange::next_time() {
    auto& m = *impl_;
    m.fill();
    if (!m.ahead) return std::numeric_limits<double>::infinity();
    const AVPacket* p = m.ahead->packet.get();
    const std::int64_t t = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
    return t * av_q2d(m.fmt->streams[m.audio]->time_base);
}

}  // namespace keyswap::io
