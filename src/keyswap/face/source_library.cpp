#include "keyswap/face/source_library.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"

namespace keyswap::face {

namespace {
// Eye distance of the stored cut-out: a 1080p face rarely exceeds it, and larger sources only
// cost memory and warp time.
constexpr float kSourceIod = 160.0f;
// A photo is switched to only if it matches this much better than the current one.
constexpr float kSwitchRatio = 0.8f;
}  // namespace

ImageU8 to_rgba(const ImageU8& image) {
    if (image.channels() == 4) return image;
    ImageU8 out(image.width(), image.height(), 4);
    const cv::Mat src(image.height(), image.width(), image.channels() == 3 ? CV_8UC3 : CV_8UC1,
                      const_cast<std::uint8_t*>(image.data()));
    cv::Mat dst(out.height(), out.width(), CV_8UC4, out.data());
    cv::cvtColor(src, dst, image.channels() == 3 ? cv::COLOR_RGB2RGBA : cv::COLOR_GRAY2RGBA);
    return out;
}

SourceLibrary::SourceLibrary(const std::vector<SourceImage>& sources, int source_face, FaceAnalyser& analyser) {
    if (sources.empty()) fail(ErrorKind::Usage, "no source face given; pass --source PHOTO (repeat for a library)");
    for (const auto& src : sources) {
        if (src.rgba.empty()) fail(ErrorKind::Input, "empty source image", src.name);
        const ImageU8 rgba = to_rgba(src.rgba);
        std::vector<Track> found = analyser.analyse(rgba.view());
        if (found.empty())
            fail(ErrorKind::NoFace, "no face found in the source photo; use a sharp, frontal photo with the face at least 100 px wide",
                 src.name);
        std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.raw[30].x < b.raw[30].x; });
        int pick = 0;
        if (source_face < 0 && found.size() > 1)
            fail(ErrorKind::Usage, std::to_string(found.size()) +
                                       " faces in the source photo; pass --source-face N to choose one (0 = leftmost)",
                 src.name);
        if (source_face >= 0) {
            if (source_face >= static_cast<int>(found.size()))
                fail(ErrorKind::Usage, "--source-face " + std::to_string(source_face) + " but the photo has only " +
                                           std::to_string(found.size()) + " face(s)", src.name);
            pick = source_face;
        }
        const Landmarks& l = found[pick].raw;
        SourceFace f;
        f.name = src.name;
        f.embedding = analyser.embed(rgba.view(), l);
        // Cut out the face with room for the forehead and the feather, then scale it down if big.
        const Mesh full = make_mesh(l);
        const cv::Rect2f b = bounds(full);
        const float m = 0.15f * std::max(b.width, b.height);
        const cv::Rect roi = cv::Rect(cv::Point(static_cast<int>(b.x - m), static_cast<int>(b.y - m)),
                                      cv::Point(static_cast<int>(b.br().x + m) + 1, static_cast<int>(b.br().y + m) + 1)) &
                             cv::Rect(0, 0, rgba.width(), rgba.height());
        const cv::Mat img(rgba.height(), rgba.width(), CV_8UC4, const_cast<std::uint8_t*>(rgba.data()));
        const float scale = std::min(1.0f, kSourceIod / std::max(1.0f, inter_ocular(l)));
        cv::Mat crop;
        if (scale < 1.0f)
            cv::resize(img(roi), crop, cv::Size(), scale, scale, cv::INTER_AREA);
        else
            crop = img(roi);
        cv::cvtColor(crop, f.rgb, cv::COLOR_RGBA2RGB);
        for (int i = 0; i < kLandmarks; ++i) f.landmarks[i] = (l[i] - cv::Point2f(roi.tl())) * scale;
        f.mesh = make_mesh(f.landmarks);
        f.triangles = triangulate(f.mesh);
        faces_.push_back(std::move(f));
    }
    analyser.reset();
}

int SourceLibrary::best_match(const Landmarks& target, int previous) const {
    if (faces_.size() == 1) return 0;
    int best = 0;
    float bd = 1e30f;
    std::vector<float> d(faces_.size());
    for (std::size_t i = 0; i < faces_.size(); ++i) {
        d[i] = shape_distance(faces_[i].landmarks, target);
        if (d[i] < bd) bd = d[i], best = static_cast<int>(i);
    }
    if (previous >= 0 && previous < static_cast<int>(faces_.size()) && bd > kSwitchRatio * d[previous]) return previous;
    return best;
}

float SourceLibrary::distance(const Embedding& e) const {
    float best = 1e30f;
    for (auto& f : faces_) best = std::min(best, embedding_distance(f.embedding, e));
    return best;
}

}  // namespace keyswap::face
