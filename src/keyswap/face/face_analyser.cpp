#include "keyswap/face/face_analyser.hpp"

#include <cmath>

namespace keyswap::face {

namespace {
// A landmark centre moving more than this many inter-ocular distances in one frame is a cut or
// a different face taking the track's place: smoothing across it would smear two faces.
constexpr float kJump = 0.6f;
constexpr long kDetectNow = 1L << 30;  // "frames since detection" that forces one
}  // namespace

FaceAnalyser::FaceAnalyser(const AnalyserSettings& s)
    : s_(s), detector_(FaceDetector::create(s.detector, s.detect_width)), model_(LandmarkModel::shared()),
      tracker_(s.smoothing) {
    mean_shape_ = model_->mean_shape();
}

FaceAnalyser::~FaceAnalyser() = default;

void FaceAnalyser::reset() {
    tracker_.clear();
    frames_since_detect_ = kDetectNow;
    lost_ = false;
    have_time_ = false;
}

bool FaceAnalyser::fit_all(ImageView<const std::uint8_t> rgba) {
    bool all_kept = true;
    auto& tracks = tracker_.tracks();
    for (std::size_t i = 0; i < tracks.size(); ++i) {
        Track& t = tracks[i];
        const Landmarks fit = model_->fit(rgba, t.box, scratch_);
        appearance_patch(rgba, fit, mean_shape_, patch_);
        if (!tracker_.accept_fit(t, fit, patch_)) {
            tracker_.drop(t.id);
            --i;
            all_kept = false;
        }
    }
    tracker_.merge_duplicates();
    return all_kept;
}

const std::vector<Track>& FaceAnalyser::track(ImageView<const std::uint8_t> rgba, double time, StageTimes* times) {
    const double dt = have_time_ && time > last_time_ ? time - last_time_ : 1.0 / 30.0;
    last_time_ = have_time_ ? last_time_ + dt : time;
    have_time_ = true;

    tracker_.predict();
    // With no face in view detection also runs only every N frames: a face entering is picked up
    // within N frames, and faceless stretches cost no more than tracked ones.
    const bool detect_now = lost_ || frames_since_detect_ + 1 >= s_.detect_every;
    double detect_ms = 0;
    if (detect_now) {
        Stopwatch sw;
        tracker_.associate(detector_->detect(rgba));
        frames_since_detect_ = 0;
        detect_ms = sw.ms();
    } else {
        ++frames_since_detect_;
    }
    Stopwatch sw;
    lost_ = !fit_all(rgba);
    double fit_ms = sw.ms();
    if (lost_ && !detect_now) {
        // Re-detect in the same frame so a face that moved away from its track is not skipped.
        Stopwatch sw2;
        tracker_.associate(detector_->detect(rgba));
        frames_since_detect_ = 0;
        detect_ms += sw2.ms();
        sw.reset();
        lost_ = !fit_all(rgba);
        fit_ms += sw.ms();
    }
    for (auto& t : tracker_.tracks()) {
        const float iod = std::max(1.0f, inter_ocular(t.raw));
        if (t.frames > 1 && cv::norm(bounds(t.raw).tl() - bounds(t.smooth).tl()) > kJump * iod) t.smoother.reset();
        t.smooth = s_.smooth ? t.smoother.filter(t.raw, dt, iod) : t.raw;
    }
    if (times) {
        times->add("face.detect", detect_ms);
        times->add("face.landmarks", fit_ms);
    }
    return tracker_.tracks();
}

const std::vector<Track>& FaceAnalyser::analyse(ImageView<const std::uint8_t> rgba) {
    reset();
    return track(rgba, 0.0, nullptr);
}

Embedding FaceAnalyser::embed(ImageView<const std::uint8_t> image, const Landmarks& landmarks) {
    if (!embedder_) embedder_ = std::make_unique<FaceEmbedder>();
    return embedder_->embed(image, landmarks);
}

const Embedding& FaceAnalyser::embedding(ImageView<const std::uint8_t> rgba, Track& t) {
    if (!t.embedding) t.embedding = embed(rgba, t.raw);
    return *t.embedding;
}

}  // namespace keyswap::face
