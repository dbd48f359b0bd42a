#pragma once
// What a source photo's own hair hides on one side of its face, filled from the other side.
//
// A lock of hair over one temple and cheek (a side parting) is not face: the swap leaves those
// pixels to the target (usable_source_pixels), which shows as a band of the target's own temple,
// often hair or shadow, beside the source's eye. Faces are nearly symmetric, so where the hidden
// pixels' mirror partners (through the mesh: the other side's same point) are clear face, the
// photo's mirror image stands in for them, its light levelled to this side's by a smooth
// per-channel gain measured where both sides are clear.
//
// Only near-frontal photos are filled, and only one-sided hiding: a region most of whose mirror
// partners are hidden too (hair over both temples, a fringe, the background beside a turned
// head) is left to the target as before, and so is everything the photo's clear side cannot
// vouch for. Done once per photo.
// Thread safety: a pure function.
#include <opencv2/core.hpp>
#include <vector>

#include "keyswap/face/mesh.hpp"

namespace keyswap::face {

// A hidden region is filled when at least this share of its pixels has a clear mirror partner.
inline constexpr float kOneSided = 0.5f;

// Requires: rgb CV_8UC3 cut-out, usable CV_8U of its size (255 = face), landmarks and mesh in its
// pixels, tris the mesh's triangles. Ensures: hidden one-sided pixels of the face replaced in
// `rgb` (edge feathered) and marked usable. Returns the share of the face area filled (0..1).
float fill_hidden_side(cv::Mat& rgb, cv::Mat& usable, const Landmarks& landmarks, const Mesh& mesh,
                       const std::vector<cv::Vec3i>& tris);

}  // namespace keyswap::face
