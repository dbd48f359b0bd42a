#include "keyswap/io/rgba_convert.hpp"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace keyswap::io {

namespace {

int sws_matrix(AVColorSpace cs, int width, int height) {
    switch (cs) {
        case AVCOL_SPC_BT709: return SWS_CS_ITU709;
        case AVCOL_SPC_BT470BG:
        case AVCOL_SPC_SMPTE170M: return SWS_CS_ITU601;
        case AVCOL_SPC_BT2020_NCL:
        case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
        case AVCOL_SPC_FCC: return SWS_CS_FCC;
        case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
        default: return default_matrix(width, height) == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_ITU601;
    }
}

bool is_full_range(AVPixelFormat fmt, AVColorRange range) {
    switch (fmt) {
        case AV_PIX_FMT_YUVJ420P:
        case AV_PIX_FMT_YUVJ422P:
        case AV_PIX_FMT_YUVJ444P:
        case AV_PIX_FMT_YUVJ440P:
        case AV_PIX_FMT_YUVJ411P: return true;
        default: return range == AVCOL_RANGE_JPEG;
    }
}

// swscale warns about the deprecated yuvj formats; give it the plain ones with full range set.
AVPixelFormat unj(AVPixelFormat fmt) {
    switch (fmt) {
        case AV_PIX_FMT_YUVJ420P: return AV_PIX_FMT_YUV420P;
        case AV_PIX_FMT_YUVJ422P: return AV_PIX_FMT_YUV422P;
        case AV_PIX_FMT_YUVJ444P: return AV_PIX_FMT_YUV444P;
        case AV_PIX_FMT_YUVJ440P: return AV_PIX_FMT_YUV440P;
        case AV_PIX_FMT_YUVJ411P: return AV_PIX_FMT_YUV411P;
        default: return fmt;
    }
}

// Full horizontal chroma interpolation and accurate rounding: keying reads chroma edges,
// so the cheapest upsampling would cost matte quality.
constexpr int kFlags = SWS_BILINEAR | SWS_FULL_CHR_H_INT | SWS_ACCURATE_RND | SWS_BITEXACT;

// The frame's chroma subsampling and the luma weights of the matrix it is converted with.
ChromaSampling sampling_of(const AVPixFmtDescriptor* d, int matrix) {
    ChromaSampling s;
    s.block_w = 1 << d->log2_chroma_w;
    s.block_h = 1 << d->log2_chroma_h;
    switch (matrix) {
        case SWS_CS_ITU709: s.kr = 0.2126f, s.kb = 0.0722f; break;
        case SWS_CS_BT2020: s.kr = 0.2627f, s.kb = 0.0593f; break;
        case SWS_CS_FCC: s.kr = 0.30f, s.kb = 0.11f; break;
        case SWS_CS_SMPTE240M: s.kr = 0.212f, s.kb = 0.087f; break;
        default: s.kr = 0.299f, s.kb = 0.114f; break;  // BT.601
    }
    return s;
}

}  // namespace

AVColorSpace default_matrix(int width, int height) {
    return (width >= 1280 || height >= 720) ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
}

void RgbaConverter::to_rgba(const AVFrame* src, ImageU8& out, const std::string& path) {
    const auto fmt = static_cast<AVPixelFormat>(src->format);
    if (src->width <= 0 || src->height <= 0 || fmt == AV_PIX_FMT_NONE)
        fail(ErrorKind::Input, "decoded a frame with no size or format", path);
    if (!sws_ || src->width != w_ || src->height != h_ || src->format != fmt_ || src->colorspace != cs_ ||
        src->color_range != range_) {
        sws_.reset(sws_getContext(src->width, src->height, unj(fmt), src->width, src->height, AV_PIX_FMT_RGBA, kFlags,
                                  nullptr, nullptr, nullptr));
        if (!sws_)
            fail(ErrorKind::Input, std::string("cannot convert pixel format ") + av_get_pix_fmt_name(fmt) + " to RGBA", path);
        const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
        sampling_ = {};
        if (d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3) {
            const int matrix = sws_matrix(src->colorspace, src->width, src->height);
            sampling_ = sampling_of(d, matrix);
            const int* coefs = sws_getCoefficients(matrix);
            sws_setColorspaceDetails(sws_.get(), coefs, is_full_range(fmt, src->color_range) ? 1 : 0,
                                     sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
        }
        w_ = src->width, h_ = src->height, fmt_ = src->format, cs_ = src->colorspace, range_ = src->color_range;
    }
    out.reshape(src->width, src->height, 4);
    uint8_t* dst[4] = {out.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {src->width * 4, 0, 0, 0};
    if (sws_scale(sws_.get(), src->data, src->linesize, 0, src->height, dst, dst_stride) != src->height)
        fail(ErrorKind::Input, "cannot convert a decoded frame to RGBA", path);
}

void RgbaEncoderConverter::configure(int width, int height, AVPixelFormat dst_fmt, AVColorSpace cs, AVColorRange range) {
    sws_.reset(sws_getContext(width, height, AV_PIX_FMT_RGBA, width, height, unj(dst_fmt), kFlags, nullptr, nullptr, nullptr));
    if (!sws_) fail(ErrorKind::Output, std::string("cannot convert RGBA to ") + av_get_pix_fmt_name(dst_fmt));
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(dst_fmt);
    if (d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3) {
        sws_setColorspaceDetails(sws_.get(), sws_getCoefficients(SWS_CS_DEFAULT), 1,
                                 sws_getCoefficients(sws_matrix(cs, width, height)), is_full_range(dst_fmt, range) ? 1 : 0,
                                 0, 1 << 16, 1 << 16);
    }
}

void RgbaEncoderConverter::convert(const ImageU8& src, AVFrame* dst) {
    const uint8_t* in[4] = {src.data(), nullptr, nullptr, nullptr};
    const int in_stride[4] = {src.width() * 4, 0, 0, 0};
    if (sws_scale(sws_.get(), in, in_stride, 0, src.height(), dst->data, dst->linesize) <= 0)
        fail(ErrorKind::Output, "cannot convert a frame for the encoder");
}

}  // namespace keyswap::io
