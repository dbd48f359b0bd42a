#include "keyswap/face/face_analyser.hpp"

#include <cmath>

namespace keyswap::face {

namespace {
// A landmark centre moving more than this many inter-ocular distances in one frame is a cut or
// a different face taking the track's place: smoothing across it would smear two faces.
constexpr float kJump = 0.6f;
constexpr long kDetectNow = 1L << 30;  // "frames since detection" that forces one
// While faces are tracked, the periodic check searches only around them; the whole frame is
// searched this many times less often, which is how new faces entering are found.
constexpr long kFullSearchEvery = 6;
constexpr int kEstablished = 3;  // frames a track must have lived before its loss triggers a search
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
    frames_since_full_ = kDetectNow;
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
            // Only losing an established face calls for an immediate re-detection: a false
            // detection that fails its first fits would otherwise be re-found and re-dropped
            // every frame, running the full detector each time.
            if (t.frames >= kEstablished) all_kept = false;
            tracker_.drop(t.id);
            --i;
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
    const bool full_now = lost_ || tracker_.tracks().empty() || frames_since_full_ + 1 >= s_.detect_every * kFullSearchEvery;
    double detect_ms = 0;
    ++frames_since_full_;
    if (detect_now) {
        Stopwatch sw;
        if (full_now) {
            tracker_.associate(detector_->detect(rgba));
            frames_since_full_ = 0;
        } else {
            std::vector<cv::Rect2f> boxes;
            for (const auto& t : tracker_.tracks()) boxes.push_back(t.box);
            tracker_.associate(detector_->detect_around(rgba, boxes));
        }
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
        frames_since_full_ = 0;
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
