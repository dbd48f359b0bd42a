#pragma once
// Aligned face crops for the neural models, and pasting their results back.
//
// What this represents: the five-point alignment the face models were trained on. Five
// keypoints (eye centres, nose tip, mouth corners, image-left first) are taken from the 68
// landmarks; the similarity that best takes them onto a model's template (ArcFace's 112-pixel
// template, InSwapper's 128-pixel variant of it, FFHQ's for the 512-pixel restorers and the
// occlusion models) gives the crop, and its inverse brings the model's output back.
// `paste_back` also returns where the crop covers the region, with a soft border, so a result
// never ends in a hard square edge.
// Thread safety: pure functions; `AlignedCrop` holds its own buffers.
#include <array>
#include <opencv2/core.hpp>

#include "keyswap/face/geometry.hpp"

namespace keyswap::face {

using FivePoints = std::array<cv::Point2f, 5>;

// Which template a model was trained on.
enum class FaceTemplate {
    ArcFace,    // 112 px (recognition: w600k_r50, glintr100)
    InSwapper,  // ArcFace's, shifted 8 px right on a 128-pixel square (inswapper_128)
    Ffhq,       // FFHQ's, for 512-pixel restorers (GFPGAN) and occlusion models
};

FivePoints five_points(const Landmarks& l);

// Region pixel -> crop pixel for a `size` x `size` crop.
cv::Matx23d alignment(const FivePoints& points, FaceTemplate t, int size);

struct AlignedCrop {
    cv::Matx23d to_crop;  // region -> crop
    cv::Mat rgb;          // CV_8UC3, size x size
};

// Cuts the aligned face out of `region` (CV_8UC3; edges replicated where the crop leaves it).
void cut_aligned(const cv::Mat& region, const Landmarks& local, FaceTemplate t, int size, AlignedCrop& out);

// Warps `crop_result` (CV_8UC3 or CV_32F, the crop's size) back into a region of `size`, and
// writes `coverage` (CV_32F, 1 well inside the crop, falling to 0 over `border` of the crop's
// side at its edges, 0 outside it).
void paste_back(const cv::Mat& crop_result, const cv::Matx23d& to_crop, cv::Size size, float border, cv::Mat& out,
                cv::Mat& coverage);

// The crop as planar float input: (value * scale + shift) per channel, RGB order.
void to_planar(const cv::Mat& rgb, float scale, float shift, float* out);
// Planar float output back to CV_8UC3 RGB: value * scale + shift, saturated.
void from_planar(const float* in, int size, float scale, float shift, cv::Mat& rgb);

}  // namespace keyswap::face
