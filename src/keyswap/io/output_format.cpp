#include "keyswap/io/output_format.hpp"

#include <algorithm>
#include <cctype>

#include "keyswap/core/error.hpp"
#include "keyswap/io/frames.hpp"

namespace keyswap::io {

namespace {

struct Row {
    const char* ext;
    const char* muxer;
    const char* codec_key;  // first row per extension is its default
    const char* encoder;
    const char* pix_fmt;
    bool alpha;
    bool still;
    const char* audio_encoder;
};

// extension, muxer, codec, encoder, pixel format, alpha, still, audio re-encoder
const Row kRows[] = {
    {".png", "image2", "png", "png", "rgba", true, true, ""},
    {".webp", "image2", "webp", "libwebp", "bgra", true, true, ""},
    {".tif", "image2", "tiff", "tiff", "rgba", true, true, ""},
    {".tiff", "image2", "tiff", "tiff", "rgba", true, true, ""},
    {".jpg", "image2", "jpeg", "mjpeg", "yuvj444p", false, true, ""},
    {".jpeg", "image2", "jpeg", "mjpeg", "yuvj444p", false, true, ""},
    {".mp4", "mp4", "h264", "libx264", "yuv420p", false, false, "aac"},
    {".mp4", "mp4", "h265", "libx265", "yuv420p", false, false, "aac"},
    {".m4v", "mp4", "h264", "libx264", "yuv420p", false, false, "aac"},
    {".mkv", "matroska", "ffv1", "ffv1", "bgra", true, false, "aac"},
    {".mkv", "matroska", "h264", "libx264", "yuv420p", false, false, "aac"},
    {".mkv", "matroska", "h265", "libx265", "yuv420p", false, false, "aac"},
    {".mkv", "matroska", "vp9", "libvpx-vp9", "yuva420p", true, false, "libopus"},
    {".mkv", "matroska", "prores", "prores_ks", "yuva444p10le", true, false, "aac"},
    {".webm", "webm", "vp9", "libvpx-vp9", "yuva420p", true, false, "libopus"},
    {".mov", "mov", "prores", "prores_ks", "yuva444p10le", true, false, "aac"},
    {".mov", "mov", "qtrle", "qtrle", "argb", true, false, "aac"},
    {".mov", "mov", "png", "png", "rgba", true, false, "aac"},
    {".mov", "mov", "h264", "libx264", "yuv420p", false, false, "aac"},
    {".mov", "mov", "h265", "libx265", "yuv420p", false, false, "aac"},
};

std::string canonical_codec(std::string c) {
    std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (c == "hevc" || c == "x265") return "h265";
    if (c == "avc" || c == "x264") return "h264";
    if (c == "prores4444" || c == "prores_ks") return "prores";
    if (c == "animation") return "qtrle";
    if (c == "jpg") return "jpeg";
    return c;
}

}  // namespace

const ParamTable<EncodeOptions>& encode_params() {
    using S = EncodeOptions;
    using T = ParamType;
    // Which codecs an extension takes depends on the extension, so --codec is checked against
    // the format table above when the output is known, not here.
    static const ParamTable<S> t("encode", {
        {"codec", "Codec", "Override the codec: h264 h265 vp9 prores qtrle ffv1 png (what the extension allows).",
         &S::codec, T::String, 0, 0, "", false},
        {"crf", "CRF", "Constant rate factor for h264/h265/vp9 (-1 = the codec's default; lower is better).", &S::crf,
         T::Int, -1, 63, "", false},
        {"quality", "Quality", "Quality 0-100 for WebP/JPEG (-1 = default: lossless WebP; 100 = lossless WebP too).",
         &S::quality, T::Int, -1, 100, "", false},
        {"preset", "Preset", "Encoder preset (x264/x265: ultrafast..veryslow; vp9: realtime|good|best).", &S::preset,
         T::String, 0, 0, "", false},
    });
    return t;
}

std::string known_output_extensions() {
    std::string out;
    std::string last;
    for (auto& r : kRows) {
        if (last == r.ext) continue;
        last = r.ext;
        if (!out.empty()) out += ' ';
        out += r.ext;
    }
    return out;
}

OutputFormat choose_output_format(const std::filesystem::path& path, const EncodeOptions& options) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (ext.empty()) fail(ErrorKind::Usage, "output has no extension; use one of: " + known_output_extensions(), path.string());
    const std::string want = canonical_codec(options.codec);
    const Row* found = nullptr;
    bool ext_known = false;
    std::string codecs;
    for (auto& r : kRows) {
        if (ext != r.ext) continue;
        ext_known = true;
        if (!codecs.empty()) codecs += ", ";
        codecs += r.codec_key;
        if (!found && (want.empty() || want == r.codec_key)) found = &r;
    }
    if (!ext_known)
        fail(ErrorKind::Usage, "unknown output extension '" + ext + "'; use one of: " + known_output_extensions(), path.string());
    if (!found) fail(ErrorKind::Usage, "codec '" + options.codec + "' cannot be written to " + ext + " (choose: " + codecs + ")", path.string());
    OutputFormat f{ext, found->muxer, found->codec_key, found->encoder, found->pix_fmt, found->alpha, found->still,
                   is_frame_pattern(path), found->audio_encoder};
    // Lossy WebP keeps alpha too, in its own plane.
    if (f.encoder == "libwebp" && options.quality >= 0 && options.quality < 100) f.pix_fmt = "yuva420p";
    return f;
}

}  // namespace keyswap::io
