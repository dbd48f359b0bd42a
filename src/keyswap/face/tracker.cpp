#include "keyswap/face/tracker.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace keyswap::face {

namespace {
constexpr float kMatchIou = 0.3f;
// Correlation with the last detection's patch below which a track is taken to have drifted
// off the face (occlusion, the person left). Measured: same face 0.8-0.98 across pose changes.
constexpr double kMinAppearance = 0.45;
constexpr int kPatch = 32;
}  // namespace

void FaceTracker::predict() {
    for (auto& t : tracks_) {
        if (!t.fitted) continue;
        const cv::Rect2f lb = bounds(t.raw);
        t.box = {lb.x + t.calib[0] * lb.width, lb.y + t.calib[1] * lb.height, t.calib[2] * lb.width,
                 t.calib[3] * lb.height};
        t.detected = false;
    }
}

void FaceTracker::associate(const std::vector<Detection>& detections) {
    std::vector<bool> used(detections.size(), false);
    std::vector<bool> matched(tracks_.size(), false);
    // Greedy by overlap: with a handful of faces this equals the optimal assignment in practice.
    for (;;) {
        float best = kMatchIou;
        int bt = -1, bd = -1;
        for (std::size_t i = 0; i < tracks_.size(); ++i) {
            if (matched[i]) continue;
            for (std::size_t j = 0; j < detections.size(); ++j) {
                if (used[j]) continue;
                const float o = iou(tracks_[i].box, detections[j].box);
                if (o > best) best = o, bt = static_cast<int>(i), bd = static_cast<int>(j);
            }
        }
        if (bt < 0) break;
        matched[bt] = used[bd] = true;
        // The fit keeps using the landmark-predicted box so the landmarks do not jump on
        // detection frames; the detection only confirms the track.
        tracks_[bt].detected = true;
        tracks_[bt].misses = 0;
    }
    for (std::size_t i = 0; i < tracks_.size(); ++i)
        if (!matched[i]) ++tracks_[i].misses;
    std::erase_if(tracks_, [&](const Track& t) { return t.misses >= max_misses_; });
    for (std::size_t j = 0; j < detections.size(); ++j) {
        if (used[j]) continue;
        Track t;
        t.id = next_id_++;
        t.box = detections[j].box;
        t.detected = true;
        t.smoother = LandmarkSmoother(smoothing_);
        tracks_.push_back(std::move(t));
    }
}

bool FaceTracker::accept_fit(Track& t, const Landmarks& fit, const cv::Mat& patch) {
    if (t.detected) {
        if (t.frames == 0) {
            const cv::Rect2f lb = bounds(fit);
            if (lb.width > 0 && lb.height > 0)
                t.calib = {(t.box.x - lb.x) / lb.width, (t.box.y - lb.y) / lb.height, t.box.width / lb.width,
                           t.box.height / lb.height};
        }
        patch.copyTo(t.patch);
    } else if (!t.patch.empty() && t.patch.dot(patch) < kMinAppearance) {
        return false;
    }
    t.raw = fit;
    t.fitted = true;
    ++t.frames;
    return true;
}

void FaceTracker::drop(int id) {
    std::erase_if(tracks_, [&](const Track& t) { return t.id == id; });
}

void FaceTracker::merge_duplicates() {
    for (std::size_t i = 0; i < tracks_.size(); ++i)
        for (std::size_t j = i + 1; j < tracks_.size(); ++j)
            if (tracks_[i].fitted && tracks_[j].fitted && iou(bounds(tracks_[i].raw), bounds(tracks_[j].raw)) > 0.5f) {
                // Tracks are appended in creation order, so j is the younger one.
                tracks_.erase(tracks_.begin() + static_cast<std::ptrdiff_t>(j));
                --j;
            }
}

void appearance_patch(ImageView<const std::uint8_t> rgba, const Landmarks& landmarks, const Landmarks& mean_shape,
                      cv::Mat& out) {
    Landmarks canon;
    for (int i = 0; i < kLandmarks; ++i) canon[i] = mean_shape[i] * static_cast<float>(kPatch);
    const cv::Mat m = similarity_fit(landmarks, canon);
    const cv::Mat frame(rgba.height, rgba.width, CV_8UC4, const_cast<std::uint8_t*>(rgba.data),
                        static_cast<std::size_t>(rgba.stride));
    // warpAffine visits only the 32x32 destination pixels, so this is cheap at any frame size.
    cv::Mat small, grey;
    cv::warpAffine(frame, small, m, cv::Size(kPatch, kPatch), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    cv::cvtColor(small, grey, cv::COLOR_RGBA2GRAY);
    grey.convertTo(out, CV_32F);
    out -= cv::mean(out)[0];
    const double n = cv::norm(out);
    if (n > 1e-6) out /= n;
}

}  // namespace keyswap::face
