#pragma once
// A source photo's light evened out between the face's two sides.
//
// A source lit from one side (a flash off the camera's axis, a window) carries a shaded side:
// swapped, the target's face shows the source's shadow on one cheek and temple whatever the
// target's own light, and the colour transfer's smooth light fit cannot undo a shadow's edge
// along the nose. Faces are nearly symmetric, so the ratio of a side's smoothed lightness to
// its mirror side's (through the mesh: the other side's same point) is the light's asymmetry.
// Each side is brought to the geometric mean of the two, which keeps the face's own features
// (they are mirrored too) and its symmetric shading (the nose's sides, the eye sockets). The
// target's light is laid on afterwards by the colour transfer, as for any source.
//
// Only near-frontal photos (a turned head's far side is foreshortened, its mirror partner
// another part of the face), and only the face's usable pixels are measured. Done once per photo.
// Thread safety: a pure function.
#include <opencv2/core.hpp>
#include <vector>

#include "keyswap/face/mesh.hpp"

namespace keyswap::face {

// Requires: rgb CV_8UC3 cut-out, usable CV_8U of its size (255 = face), landmarks and mesh in
// its pixels, tris the mesh's triangles. Ensures: rgb's face area (and a margin around it)
// scaled by a smooth gain that evens the two sides' light.
void even_side_light(cv::Mat& rgb, const cv::Mat& usable, const Landmarks& landmarks, const Mesh& mesh,
                     const std::vector<cv::Vec3i>& tris);

}  // namespace keyswap::face
