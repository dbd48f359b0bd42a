#pragma once
// Finding and following faces: detection, landmarks, tracking, smoothing, embeddings.
//
// What this represents: the analysis half of the face path, used by FaceSwapper and by
// `keyswap faces`. Per frame it runs the detector only every `detect_every` frames (and when a
// track is lost), fits 68 landmarks for every tracked face, verifies the track, and smooths the
// landmarks (One Euro) unless smoothing is off. Embeddings are computed on request and cached
// per track, because the recognition net is slow.
// With `background_search` (live mode), full-frame searches (the ~35 ms step) run on the
// analyser's own thread instead of in the frame that asks for them: tracking carries the known
// faces meanwhile and the search result joins a later frame (a new face appears a few frames
// late; no frame waits for the search). Searches around known faces stay in the frame.
// Thread safety: not thread safe; one per stream (the background thread is internal).
#include <memory>
#include <string>
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/core/timing.hpp"
#include "keyswap/face/detector.hpp"
#include "keyswap/face/embedding.hpp"
#include "keyswap/face/landmarks.hpp"
#include "keyswap/face/tracker.hpp"

namespace keyswap::face {

struct AnalyserSettings {
    DetectorSpec detector;
    int detect_every = 5;          // frames between detections while faces are tracked
    int detect_width = 800;        // width of the detection image (HOG finds faces down to ~80 px there)
    bool smooth = true;
    OneEuroSettings smoothing;
    bool background_search = false;  // full-frame searches beside the frames (live), joined later
};

class BackgroundSearch;

class FaceAnalyser {
public:
    // Loads the detector and the landmark model (the recognition net only when first needed).
    // Throws Error(Model) or Error(Usage) (unknown detector).
    explicit FaceAnalyser(const AnalyserSettings& s);
    ~FaceAnalyser();

    // Next frame of a clip. `time` in seconds (used by the smoother; if it does not increase,
    // 1/30 s is assumed). Records "face.detect" and "face.landmarks" ms when `times` is given.
    // Requires: rgba has 4 channels. Ensures: tracks are in creation order, ids stable.
    const std::vector<Track>& track(ImageView<const std::uint8_t> rgba, double time, StageTimes* times = nullptr);

    // A still image: forgets the clip, detects and fits (no smoothing history).
    const std::vector<Track>& analyse(ImageView<const std::uint8_t> rgba);

    std::vector<Track>& tracks() { return tracker_.tracks(); }

    // The track's identity embedding, computed once per track. Loads the net on first use.
    const Embedding& embedding(ImageView<const std::uint8_t> rgba, Track& t);
    // Embedding of a face in any image (loads the net on first use).
    Embedding embed(ImageView<const std::uint8_t> image, const Landmarks& landmarks);

    // Detection only (no tracking): boxes in frame pixels.
    std::vector<Detection> detect(ImageView<const std::uint8_t> rgba) { return detector_->detect(rgba); }
    // Landmarks in one box of any 1/3/4-channel image.
    Landmarks fit(ImageView<const std::uint8_t> image, const cv::Rect2f& box) {
        return model_->fit(image, box, scratch_);
    }

    void reset();  // new clip or cut: forget tracks and smoothing

    // Live change between frames of the settings that need no new detector or tracker.
    void retune(int detect_every, bool smooth) {
        s_.detect_every = detect_every;
        s_.smooth = smooth;
    }

private:
    bool fit_all(ImageView<const std::uint8_t> rgba);  // false if a track was lost
    void smooth_all(double dt);
    const std::vector<Track>& track_frame(ImageView<const std::uint8_t> rgba, double time, StageTimes* times, bool beside);
    const std::vector<Track>& track_beside(ImageView<const std::uint8_t> rgba, double dt, StageTimes* times);

    AnalyserSettings s_;
    std::unique_ptr<FaceDetector> detector_;
    std::shared_ptr<const LandmarkModel> model_;
    std::unique_ptr<FaceEmbedder> embedder_;
    std::unique_ptr<BackgroundSearch> search_;  // only with background_search
    FaceTracker tracker_;
    Landmarks mean_shape_{};
    cv::Mat scratch_, patch_;
    long frames_since_detect_ = 1L << 30;  // first frame detects
    long frames_since_full_ = 1L << 30;    // frames since the whole frame was searched
    bool lost_ = false;
    double last_time_ = 0.0;
    bool have_time_ = false;
};

}  // namespace keyswap::face
