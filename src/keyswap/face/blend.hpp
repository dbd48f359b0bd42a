#pragma once
// Writing the swapped face into the frame.
//
// What this represents: the last step of the swap. Inside the face's region only, each RGB
// pixel moves toward the swapped colour by weight = mask x matte (matte optional): where the
// product is 0 the frame's pixel is left exactly as it was, so nothing lands on keyed-out
// background and the swap fades where the matte is soft. Alpha is never touched.
// `poisson_clone` is the optional gradient-domain alternative for the colour itself
// (OpenCV's seamlessClone), slower but immune to residual colour offsets at the border.
// Thread safety: `blend_region` writes only the region's rows, split across `pool`.
#include "keyswap/core/image.hpp"
#include "keyswap/core/thread_pool.hpp"

#include <opencv2/core.hpp>

namespace keyswap::face {

// Requires: frame RGBA; region inside the frame; swapped CV_8UC3 and weight CV_32F of the
// region's size; matte (if any) the frame's size, one channel.
void blend_region(ImageView<std::uint8_t> frame, const cv::Rect& region, const cv::Mat& swapped,
                  const cv::Mat& weight, const ImageF32* matte, ThreadPool& pool);

// dst += weight * (src - dst) per pixel and channel, for the swap's region buffers.
// Requires: dst and src CV_8UC1 or CV_8UC3 of one type and size; weight CV_32F of that size.
void mix_into(cv::Mat& dst, const cv::Mat& src, const cv::Mat& weight);

// Replaces `swapped` by a Poisson clone of it into `target` over `area` (all region-sized).
void poisson_clone(cv::Mat& swapped, const cv::Mat& target, const cv::Mat& area);

}  // namespace keyswap::face
