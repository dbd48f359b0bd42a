#pragma once
// The inside of a mouth as pixels: teeth, the dark gap and what lies between the lips.
//
// What this represents: the inner-lip landmarks (60..67) bound an open mouth only roughly. On
// a broad smile the detector often sets the lower inner lip across the middle of the teeth, so
// the polygon misses half of them: a swap that keeps the target's mouth by the polygon cuts its
// teeth short with the source's lip, and a source photo's teeth outside its polygon are pasted
// onto the target's lips as a white band when the target's mouth is closed. Here the polygon
// is grown, inside the outer lip line, over the pixels that do not look like lip: much lighter
// and less red than the lips (teeth), or much darker (the gap, the throat). The lips' colour is
// measured on the outer half of the lip ring, which the teeth rarely reach.
// Thread safety: pure function.
#include <opencv2/core.hpp>

#include "keyswap/face/mesh.hpp"

namespace keyswap::face {

// `rgb` CV_8UC3 and `mesh` in the same pixels. Returns CV_8U of rgb's size: 255 inside the
// mouth (the inner-lip polygon and the teeth and gap connected to it), 0 elsewhere.
cv::Mat mouth_interior(const cv::Mat& rgb, const Mesh& mesh);

}  // namespace keyswap::face
