#pragma once
// Which part of the face is replaced, and how softly.
//
// What this represents: area masks drawn from the target's mesh inside the face's region:
//   face      jaw line and forehead (the whole face),
//   upper     forehead, brows, eyes and nose down to the nostrils,
//   lower     nose, mouth, chin and jaw below the eyes,
//   eyes-nose brows, eyes and nose only.
// `hard` is the area (255 inside); `weight` ramps smoothly (smoothstep of the distance to the
// edge) from 0 on the edge to 1 at `feather` px inside, so the swap never steps at its border.
// `keep_mouth` in [0,1] scales how much of the target's inner mouth is kept: at 1 the inner
// mouth (`mouth`, see mouth_interior.hpp; the inner-lip polygon when empty) is exactly 0 (the
// target's teeth and tongue stay, bit for bit) and the weight ramps back up outside it.
// Thread safety: `MaskRenderer` keeps scratch buffers; one per swapper.
#include <array>
#include <string>

#include "keyswap/face/mesh.hpp"

namespace keyswap::face {

enum class MaskArea { Face, Upper, Lower, EyesNose };
inline constexpr std::array<const char*, 4> kMaskAreaNames{"face", "upper", "lower", "eyes-nose"};

class MaskRenderer {
public:
    // Requires: mesh in region pixels; feather > 0; mouth empty or CV_8U of `size`.
    // Ensures: hard CV_8U, weight CV_32F, both `size`.
    void render(MaskArea area, float keep_mouth, const Mesh& mesh, float feather, cv::Size size,
                const cv::Mat& mouth = cv::Mat());
    // Leaves the occluded pixels (CV_8U, 255 = occluder) to the target: weight exactly 0 on
    // them, ramping back up over `ramp` px around them; they also leave `hard`.
    void exclude(const cv::Mat& occluded, float ramp);
    // Weight times (1 - amount): amount CV_32F of the mask's size, in [0,1].
    void fade(const cv::Mat& amount);
    const cv::Mat& hard() const { return hard_; }
    const cv::Mat& weight() const { return weight_; }

private:
    cv::Mat hard_, weight_, dist_, mouth_, free_;
    std::vector<cv::Point> poly_;
};

// Indices of the mesh points whose convex hull is the area.
std::vector<int> area_points(MaskArea area);
// The inner-lip polygon (points 60..67) in whole pixels, as filled for keep-mouth.
std::vector<cv::Point> inner_mouth_polygon(const Mesh& mesh);
// Gap between the inner lips in eye distances (0 = closed).
float mouth_opening(const Landmarks& l);

}  // namespace keyswap::face
