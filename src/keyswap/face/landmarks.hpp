#pragma once
// 68-point face landmarks.
//
// What this represents: dlib's 68-point shape predictor (Debian's libdlib-data model), fitted
// inside a face box. It reads only a grey copy of the box's neighbourhood, not the whole frame.
// The model is loaded once per process and shared (`shared()`), since it is immutable and
// ~100 MB. The cascade is evaluated here rather than through dlib::shape_predictor::operator()
// because dlib rounds its output (and the box) to whole pixels, which shows as 1 px jitter on
// video; this keeps the same model and features but returns sub-pixel points.
// Thread safety: `fit` is const and may run on several threads at once if each passes its own
// scratch buffer.
#include <cstdint>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "keyswap/core/image.hpp"
#include "keyswap/face/geometry.hpp"

namespace keyswap::face {

class LandmarkModel {
public:
    // Loads (once) the 68-point predictor. Throws Error(Model) if missing or unreadable.
    static std::shared_ptr<const LandmarkModel> shared();

    // Requires: rgba has 4 (or 3, or 1) channels; box in frame pixels (may reach past the edge).
    // Ensures: 68 points in frame pixels. `scratch` is reused so the hot path does not allocate.
    Landmarks fit(ImageView<const std::uint8_t> image, const cv::Rect2f& box, cv::Mat& scratch) const;

    // The model's mean face in unit-box coordinates (x, y in [0,1]): a canonical frontal layout.
    Landmarks mean_shape() const;

    explicit LandmarkModel(const std::string& path);

private:
    // The cascade flattened into a few contiguous arrays. dlib's own layout keeps every leaf
    // (136 floats) in a separate heap block, ~120k of them: a fit reads 7,500 leaves and spent
    // most of its time on cache and TLB misses scattered over ~65 MB.
    struct Split {
        std::uint16_t idx1, idx2;  // feature pixels compared
        float thresh;
    };
    struct Level {
        std::vector<std::uint32_t> anchor;  // landmark each feature pixel hangs from
        std::vector<cv::Point2f> delta;     // its offset from that landmark in the mean shape
        int trees = 0;
    };
    // Leaves stay float: the cascade is sensitive to the last bits (a feature pixel that rounds
    // the other way sends later trees to other leaves), and int16 leaves moved points by up to
    // 2.7 px, for 0.3 ms. Kept in 2 MB-aligned memory marked for huge pages to spare the TLB.
    struct HugeFree {
        void operator()(float* p) const;
    };
    std::vector<float> initial_shape_;  // 2 * 68, x then y per point
    std::vector<Level> levels_;
    int splits_per_tree_ = 0;           // every tree is complete: leaves = splits + 1
    int depth_ = 0;                     // splits on the way from root to leaf
    std::vector<Split> splits_;         // [level][tree][split]
    std::unique_ptr<float[], HugeFree> leaves_;  // [level][tree][leaf][136]
};

}  // namespace keyswap::face
