#pragma once
// Making the source face's colour and lighting match the target's.
//
// What this represents: two corrections applied to the warped source inside the face area.
//  1. Lab statistics (Reinhard et al. 2001): per channel, the source's mean and spread inside
//     the area are moved to the target's, so skin tone and white balance match.
//  2. Shading: the difference between blurred target and blurred source (blurred inside the
//     area only, by normalised convolution) is added back, so a light gradient across the
//     target's face (window on one side) appears on the swapped face too. The blur is wide
//     (a third of the inter-ocular distance). Measured on the development set
//     (docs/face-devset.md) this still carries the target's eyes, lids and creases into the
//     result (a doubled look), so it is no longer the default.
//  3. Light (the default): a smooth surface is fitted to the difference between target and
//     source inside the area: quadratic in x and y for lightness, linear for the two chroma
//     channels, by least squares with one round that drops outliers (features that do not
//     line up). Six numbers cannot describe an eye, a lid or a crease, so only the light falling
//     on the target's face (a gradient, a brighter side, a coloured key light) carries over.
// Thread safety: `ColourMatcher` keeps scratch buffers; one per swapper.
#include <opencv2/core.hpp>

namespace keyswap::face {

class ColourMatcher {
public:
    // Requires: source and target CV_8UC3 RGB of one size; area CV_8U (non-zero = face).
    // `shading_sigma` in px (0 = statistics only). Ensures: source corrected in place.
    // `light`: fit and add the smooth light difference (3 above) after the statistics.
    void match(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float shading_sigma, bool light = false);

private:
    void add_shading(const cv::Mat& area, float sigma);
    void add_light(const cv::Mat& area);
    cv::Mat s_, t_, ls_, lt_, areaf_, small_, blur_s_, blur_t_, blur_a_, core_, shade_;
};

}  // namespace keyswap::face
