#pragma once
// Keeping faces apart and identified across frames.
//
// What this represents: the set of faces being followed in a clip. Each track has a stable id,
// its latest raw and smoothed landmarks, the box to fit landmarks in next, and an appearance
// patch (the face normalised to 32x32 grey) remembered at the last detection.
// Policy: between detections a track's box comes from its previous landmarks (the tracker
// learns, per track, how the detector's box sits relative to the landmarks, so the box stays in
// the predictor's convention and does not jump when a detection arrives). A detection round
// matches detections to tracks by overlap; unmatched detections start new tracks; a track
// unmatched for `max_misses` rounds, or whose appearance stops resembling its last detection,
// is dropped.
// Thread safety: not thread safe; one per analyser.
#include <optional>
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/face/detector.hpp"
#include "keyswap/face/embedding.hpp"
#include "keyswap/face/one_euro.hpp"

namespace keyswap::face {

struct Track {
    int id = 0;
    Landmarks raw{};      // this frame's fit
    Landmarks smooth{};   // after temporal smoothing (what the swap uses)
    cv::Rect2f box;       // where landmarks are fitted this frame (detector convention)
    cv::Vec4f calib{0, 0, 1, 1};  // detector box relative to the landmarks' bounds: dx, dy, sw, sh
    cv::Mat patch;        // CV_32F 32x32, zero mean, unit norm; appearance at the last detection
    int misses = 0;       // consecutive detection rounds without a match
    int frames = 0;       // frames followed
    bool detected = false;  // matched or created by a detection this frame
    bool fitted = false;    // raw holds a fit (false only for a track created before its first fit)
    LandmarkSmoother smoother;
    std::optional<Embedding> embedding;  // filled on demand, kept for the track's life
    std::optional<bool> selected;        // identity decision cached by the selector
    int source = -1;                     // library photo chosen last frame (for hysteresis)
    float glasses = -1.0f;               // swapper: smoothed glasses-bridge cover (-1 = not judged yet)
    bool wears_glasses = false;          // swapper: the glasses decision (with hysteresis)
};

class FaceTracker {
public:
    explicit FaceTracker(const OneEuroSettings& smoothing, int max_misses = 3)
        : smoothing_(smoothing), max_misses_(max_misses) {}

    std::vector<Track>& tracks() { return tracks_; }
    const std::vector<Track>& tracks() const { return tracks_; }

    // Moves each fitted track's box to where its last raw landmarks put the face.
    void predict();
    // One detection round. Ensures: each detection belongs to exactly one track.
    void associate(const std::vector<Detection>& detections);
    // Stores a landmark fit; learns the box calibration and appearance on detection frames.
    // Returns false when the appearance check fails (the caller drops the track).
    bool accept_fit(Track& t, const Landmarks& fit, const cv::Mat& patch);
    void drop(int id);
    // Drops the younger of two tracks whose landmarks cover the same face (a detection that
    // missed its track's predicted box, e.g. after fast motion, starts a duplicate).
    void merge_duplicates();
    void clear() {  // a new clip: ids start again at 1
        tracks_.clear();
        next_id_ = 1;
    }

private:
    OneEuroSettings smoothing_;
    int max_misses_;
    int next_id_ = 1;
    std::vector<Track> tracks_;
};

// The face normalised by a similarity onto `mean_shape` (unit box) at 32x32 grey, zero mean and
// unit norm, so the dot product of two patches is their normalised correlation.
void appearance_patch(ImageView<const std::uint8_t> rgba, const Landmarks& landmarks, const Landmarks& mean_shape,
                      cv::Mat& out);

}  // namespace keyswap::face
