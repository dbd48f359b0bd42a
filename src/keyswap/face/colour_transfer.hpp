#pragma once
// Making the source face's colour and lighting match the target's.
//
// What this represents: two corrections applied to the warped source inside the face area.
//  1. Lab statistics (Reinhard et al. 2001): per channel, the source's mean and spread inside
//     the area are moved to the target's, so skin tone and white balance match.
//  2. Shading: the difference between blurred target and blurred source (blurred inside the
//     area only, by normalised convolution) is added back, so a light gradient across the
//     target's face (window on one side) appears on the swapped face too. The blur is wide
//     (a third of the inter-ocular distance) so identity detail does not carry over.
// Thread safety: `ColourMatcher` keeps scratch buffers; one per swapper.
#include <opencv2/core.hpp>

namespace keyswap::face {

class ColourMatcher {
public:
    // Requires: source and target CV_8UC3 RGB of one size; area CV_8U (non-zero = face).
    // `shading_sigma` in px (0 = statistics only). Ensures: source corrected in place.
    void match(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float shading_sigma);

private:
    void add_shading(const cv::Mat& area, float sigma);
    cv::Mat s_, t_, ls_, lt_, areaf_, small_, blur_s_, blur_t_, blur_a_;
};

}  // namespace keyswap::face
