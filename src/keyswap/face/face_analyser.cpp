#include "keyswap/face/face_analyser.hpp"

#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace keyswap::face {

// One worker thread running full-frame detections on a copy of the frame, with its own
// detector (detectors keep scratch buffers). At most one search is in flight; `poll` hands its
// result to the analyser's thread, which alone touches the tracker.
class BackgroundSearch {
public:
    BackgroundSearch(const DetectorSpec& spec, int detect_width)
        : detector_(FaceDetector::create(spec, detect_width)), worker_([this] { run(); }) {}
    ~BackgroundSearch() {
        {
            std::lock_guard lock(m_);
            quit_ = true;
        }
        cv_.notify_all();
        worker_.join();
    }
    bool busy() const {
        std::lock_guard lock(m_);
        return pending_ || running_;
    }
    // Starts a search on a copy of `rgba` unless one is in flight.
    void start(ImageView<const std::uint8_t> rgba) {
        std::lock_guard lock(m_);
        if (pending_ || running_) return;
        image_.reshape(rgba.width, rgba.height, 4);
        for (int y = 0; y < rgba.height; ++y)
            std::copy_n(rgba.row(y), static_cast<std::size_t>(rgba.width) * 4, image_.row(y));
        pending_ = true;
        cv_.notify_all();
    }
    // The finished search's detections (and its ms), once; rethrows the search's error.
    std::optional<std::vector<Detection>> poll(double& ms) {
        std::lock_guard lock(m_);
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
        if (!result_) return std::nullopt;
        ms = ms_;
        return std::exchange(result_, std::nullopt);
    }
    // A new clip: a search in flight belongs to the old one.
    void discard() {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return !running_; });
        pending_ = false;
        result_.reset();
        error_ = nullptr;
    }

private:
    void run() {
        std::unique_lock lock(m_);
        for (;;) {
            cv_.wait(lock, [&] { return quit_ || pending_; });
            if (quit_) return;
            pending_ = false;
            running_ = true;
            lock.unlock();
            std::optional<std::vector<Detection>> found;
            std::exception_ptr err;
            Stopwatch sw;
            try {
                found = detector_->detect(image_.view());
            } catch (...) {
                err = std::current_exception();
            }
            lock.lock();
            running_ = false;
            result_ = std::move(found);
            error_ = err;
            ms_ = sw.ms();
            cv_.notify_all();
        }
    }

    std::unique_ptr<FaceDetector> detector_;
    ImageU8 image_;  // written by start() only while no search runs
    mutable std::mutex m_;
    std::condition_variable cv_;
    bool quit_ = false, pending_ = false, running_ = false;
    std::optional<std::vector<Detection>> result_;
    std::exception_ptr error_;
    double ms_ = 0;
    std::thread worker_;  // last: starts after the members it uses exist
};

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
    if (s_.background_search) search_ = std::make_unique<BackgroundSearch>(s_.detector, s_.detect_width);
}

FaceAnalyser::~FaceAnalyser() = default;

void FaceAnalyser::reset() {
    if (search_) search_->discard();
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
    return track_frame(rgba, time, times, search_ != nullptr);
}

const std::vector<Track>& FaceAnalyser::track_frame(ImageView<const std::uint8_t> rgba, double time, StageTimes* times, bool beside) {
    const double dt = have_time_ && time > last_time_ ? time - last_time_ : 1.0 / 30.0;
    last_time_ = have_time_ ? last_time_ + dt : time;
    have_time_ = true;

    tracker_.predict();
    if (beside) return track_beside(rgba, dt, times);
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
    smooth_all(dt);
    if (times) {
        times->add("face.detect", detect_ms);
        times->add("face.landmarks", fit_ms);
    }
    return tracker_.tracks();
}

void FaceAnalyser::smooth_all(double dt) {
    for (auto& t : tracker_.tracks()) {
        const float iod = std::max(1.0f, inter_ocular(t.raw));
        if (t.frames > 1 && cv::norm(bounds(t.raw).tl() - bounds(t.smooth).tl()) > kJump * iod) t.smoother.reset();
        t.smooth = s_.smooth ? t.smoother.filter(t.raw, dt, iod) : t.raw;
    }
}

// Live variant of track(): the full-frame search never runs in this frame. A finished search
// joins first (its boxes are a few frames old; association by overlap and the landmark fit
// that follows bring them to this frame); a new one starts when one is due, a track was lost
// or none is followed; the cheap search around known faces still runs every detect_every.
const std::vector<Track>& FaceAnalyser::track_beside(ImageView<const std::uint8_t> rgba, double dt, StageTimes* times) {
    Stopwatch sw;
    double bg_ms = 0;
    if (frames_since_full_ >= kDetectNow) {
        // The clip's first frame is searched in the frame (live mode processes it as its warm-up,
        // before the clock starts), so the swap's own first-use work happens there too.
        tracker_.associate(detector_->detect(rgba));
        frames_since_full_ = 0;
        frames_since_detect_ = 0;
        const double detect_ms = sw.ms();
        sw.reset();
        lost_ = !fit_all(rgba);
        smooth_all(dt);
        if (times) {
            times->add("face.detect", detect_ms);
            times->add("face.landmarks", sw.ms());
        }
        return tracker_.tracks();
    }
    const bool joined = [&] {
        auto found = search_->poll(bg_ms);
        if (!found) return false;
        tracker_.associate(*found);
        return true;
    }();
    ++frames_since_full_;
    const bool full_due = lost_ || tracker_.tracks().empty() || frames_since_full_ >= s_.detect_every * kFullSearchEvery;
    if (full_due && !search_->busy()) {
        search_->start(rgba);
        frames_since_full_ = 0;
    }
    if (!joined && !tracker_.tracks().empty() && ++frames_since_detect_ >= s_.detect_every) {
        std::vector<cv::Rect2f> boxes;
        for (const auto& t : tracker_.tracks()) boxes.push_back(t.box);
        tracker_.associate(detector_->detect_around(rgba, boxes));
        frames_since_detect_ = 0;
    }
    if (joined) frames_since_detect_ = 0;
    const double detect_ms = sw.ms();
    sw.reset();
    lost_ = !fit_all(rgba);
    const double fit_ms = sw.ms();
    smooth_all(dt);
    if (times) {
        times->add("face.detect", detect_ms);
        times->add("face.landmarks", fit_ms);
        if (joined) times->add("face.search-beside", bg_ms);
    }
    return tracker_.tracks();
}

const std::vector<Track>& FaceAnalyser::analyse(ImageView<const std::uint8_t> rgba) {
    reset();
    // A still has no later frame for a background search to join: search it now.
    return track_frame(rgba, 0.0, nullptr, false);
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
