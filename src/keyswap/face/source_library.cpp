#include "keyswap/face/source_library.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"
#include "keyswap/face/hidden_side_fill.hpp"
#include "keyswap/face/mouth_interior.hpp"
#include "keyswap/face/occlusion.hpp"
#include "keyswap/face/side_light.hpp"

namespace keyswap::face {

namespace {
// Eye distance of the stored cut-out: a 1080p face rarely exceeds it, and larger sources only
// cost memory and warp time.
constexpr float kSourceIod = 160.0f;
// A photo is switched to only if it matches this much better than the current one.
constexpr float kSwitchRatio = 0.8f;
// A mirrored copy is used only if it matches this much better than its photo: faces are not
// quite symmetric (a parting, a mole), so the photo itself wins when both fit.
constexpr float kMirrorRatio = 0.7f;
// A face at least this many times the area of the next is the photo's subject.
constexpr float kDominantArea = 2.0f;
// Per-photo checks: eye distance in px under which the swap is soft on a large target,
// sharpness under which the photo is blurry, yaw ratio beyond which the head is turned far.
constexpr float kSmallIod = 40.0f;
constexpr float kBlurry = 0.05f;
constexpr float kTurned = 0.45f;

SourceFace mirrored(const SourceFace& f) {
    SourceFace m;
    m.name = f.name;
    m.mirrored = true;
    cv::flip(f.rgb, m.rgb, 1);
    cv::flip(f.usable, m.usable, 1);
    cv::flip(f.mouth, m.mouth, 1);
    m.landmarks = keyswap::face::mirrored(f.landmarks, static_cast<float>(f.rgb.cols - 1));
    m.mesh = make_mesh(m.landmarks);
    m.triangles = triangulate(m.mesh);
    m.embedding = f.embedding;
    m.pose = estimate_pose(m.landmarks);
    m.visibility = visibility(m.pose);
    m.atlas.build(fit_head(m.mesh, m.pose), m.triangles);
    return m;
}
}  // namespace

float yaw_ratio(const Landmarks& l) {
    const float a = static_cast<float>(cv::norm(l[30] - l[2])), b = static_cast<float>(cv::norm(l[30] - l[14]));
    return (a - b) / std::max(1e-3f, a + b);
}

float face_sharpness(const cv::Mat& rgb, const Landmarks& l) {
    // Judge every face at the same scale (eye distance 64 px), inside the eyes-to-mouth box.
    const float s = 64.0f / std::max(1.0f, inter_ocular(l));
    cv::Rect2f b = bounds(std::span<const cv::Point2f>(l.data() + 17, 51));
    const cv::Rect r = cv::Rect(b) & cv::Rect(0, 0, rgb.cols, rgb.rows);
    if (r.width < 4 || r.height < 4) return 0.0f;
    cv::Mat grey, small, lap;
    cv::cvtColor(rgb(r), grey, cv::COLOR_RGB2GRAY);
    cv::resize(grey, small, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    cv::Laplacian(small, lap, CV_32F);
    cv::Scalar m, sd, mg, sg;
    cv::meanStdDev(lap, m, sd);
    cv::meanStdDev(small, mg, sg);
    return static_cast<float>(sd[0] / std::max(1.0, sg[0]));
}

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
        if (source_face < 0 && found.size() > 1) {
            // The dominant face (by area, i.e. eye distance squared) is the photo's subject.
            std::vector<int> order(found.size());
            std::iota(order.begin(), order.end(), 0);
            std::sort(order.begin(), order.end(),
                      [&](int a, int b) { return inter_ocular(found[a].raw) > inter_ocular(found[b].raw); });
            const float ratio = std::pow(inter_ocular(found[order[0]].raw) / std::max(1.0f, inter_ocular(found[order[1]].raw)), 2.0f);
            if (ratio < kDominantArea)
                fail(ErrorKind::Usage, std::to_string(found.size()) +
                                           " faces of similar size in the source photo; pass --source-face N to choose one (0 = leftmost)",
                     src.name);
            pick = order[0];
            char msg[160];
            std::snprintf(msg, sizeof msg, "%zu faces in the photo; taking the largest (face %d from the left, %.1fx the area of the next)",
                          found.size(), pick, ratio);
            notes_.push_back(src.name + ": " + msg);
        }
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
        f.usable = usable_source_pixels(f.rgb, f.mesh);
        // What the photo's own hair hides on one side, filled from the other (hidden_side_fill.hpp).
        fill_hidden_side(f.rgb, f.usable, f.landmarks, f.mesh, f.triangles);
        // A side light's shadow evened out (side_light.hpp): the target's light is laid on later.
        even_side_light(f.rgb, f.usable, f.landmarks, f.mesh, f.triangles);
        f.mouth = mouth_interior(f.rgb, f.mesh);
        f.pose = estimate_pose(f.landmarks);
        f.visibility = visibility(f.pose);
        f.atlas.build(fit_head(f.mesh, f.pose), f.triangles);
        // Checks that predict a poor swap: say which photo and why, and go on.
        if (inter_ocular(l) < kSmallIod)
            notes_.push_back(src.name + ": warning: the face is small (" + std::to_string(static_cast<int>(inter_ocular(l))) +
                             " px between the eyes); a larger photo gives a sharper swap");
        if (face_sharpness(f.rgb, f.landmarks) < kBlurry)
            notes_.push_back(src.name + ": warning: the face looks blurred; a sharper photo gives a better swap");
        if (std::abs(yaw_ratio(l)) > kTurned)
            notes_.push_back(src.name + ": warning: the head is turned far to one side; a frontal photo gives a better swap");
        SourceFace flipped = mirrored(f);
        faces_.push_back(std::move(f));
        faces_.push_back(std::move(flipped));
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
        // A mirrored copy follows its photo (the one before it) and must beat it clearly.
        if (faces_[i].mirrored && d[i] > kMirrorRatio * d[i - 1]) d[i] = std::max(d[i], d[i - 1] * 1.001f);
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
