#pragma once
// Matching the swapped face's sharpness to the target's.
//
// What this represents: a correction of the warped source's fine detail inside the face area.
// A source photo whose face is smaller than the target's is enlarged by the warp and looks
// soft in a sharp frame; a sharp source on a soft (small, blurred, compressed) target looks
// pasted on. The detail energy (standard deviation of lightness minus its Gaussian blur at
// `sigma` px, measured inside the area) of the warped source is brought to the target's: an
// unsharp mask when the result is softer, a blend towards the blurred image when it is
// sharper. Only the amount of detail is taken from the target, never the detail itself, so
// none of the target's features carry over.
// Thread safety: `DetailMatcher` keeps scratch buffers; one per swapper.
#include <opencv2/core.hpp>

namespace keyswap::face {

class DetailMatcher {
public:
    // Requires: source and target CV_8UC3 of one size; area CV_8U (non-zero = face); sigma > 0.
    // Ensures: source corrected in place; returns the gain applied to its detail (1 = none).
    float match(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float sigma);

private:
    cv::Mat gs_, gt_, bs_, bt_, blur3_;
};

}  // namespace keyswap::face
