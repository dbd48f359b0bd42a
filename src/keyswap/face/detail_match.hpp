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
// A target much softer than the source (out of focus, moving, a small or heavily compressed
// face) has lost more than fine detail: first the source is blurred by the amount whose
// sharpness profile (the ratios of detail in octave bands, which do not depend on how
// contrasted the features are) is nearest the target's, then the fine band is matched.
// Thread safety: `DetailMatcher` keeps scratch buffers; one per swapper.
#include <opencv2/core.hpp>

namespace keyswap::face {

class DetailMatcher {
public:
    // Requires: source and target CV_8UC3 of one size; area CV_8U (non-zero = face); sigma > 0.
    // Ensures: source corrected in place; returns the gain applied to its detail (1 = none).
    float match(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float sigma);
    // The blur (px) the last match applied before the gain; 0 = none.
    float last_blur() const { return last_blur_; }

private:
    float match_blur(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float sigma);
    cv::Vec2d profile(const cv::Mat& grey, const cv::Mat& area, float sigma, float extra);
    float search_blur(const cv::Vec2d& want, const cv::Vec2d& have, float sg);
    cv::Mat gs_, gt_, bs_, bt_, blur3_, fs_, ft_, area_small_, levels_[4];
    float last_blur_ = 0;
    cv::Vec2d last_want_, last_have_;  // the profiles the last searched blur was found for
    float last_px_ = 0;
    bool searched_ = false;
};

}  // namespace keyswap::face
