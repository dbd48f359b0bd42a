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
#include <dlib/image_processing/shape_predictor.h>

#include <memory>

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
    dlib::matrix<float, 0, 1> initial_shape_;
    std::vector<std::vector<dlib::impl::regression_tree>> forests_;
    std::vector<std::vector<unsigned long>> anchor_idx_;
    std::vector<std::vector<dlib::vector<float, 2>>> deltas_;
};

}  // namespace keyswap::face
