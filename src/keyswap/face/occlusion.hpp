#pragma once
// What is in front of the target's face, so the swap leaves it in front.
//
// What this represents: an estimate, per pixel of a face's region, of "this pixel is not the
// face's skin and belongs to something in front of it" (a glasses frame, a microphone, a hand
// that differs from the skin's colour, hair over the forehead). `OcclusionEstimator` is the
// plug point: the default `SkinOcclusion` is a landmark-and-colour estimate; a model-based
// estimator (an occlusion network loaded from a file) implements the same interface and is
// chosen where the swapper builds its estimator, without any change to the masks or blend.
//
// SkinOcclusion: a skin colour model (median and spread of Y, Cr, Cb) is taken from the
// target's cheeks and nose (polygons from the landmarks; medians, so a hand or
// a frame over part of them does not shift the model). Pixels inside the face whose colour is
// far from that model are occluders, except inside the face's own non-skin parts (eyes, brows,
// lips, nostrils), which the swap must replace; in the lips only what is neither skin nor lip
// coloured (a microphone) or dark grey (a frame) counts, and an occluder found around an eye
// (a frame's rim) is followed into the eye's corner while its colour stays the rim's, but never
// further than a short reach, so the pupil stays the source's. Over the whole face, what is
// kept must enter from outside it: a joined region (across the eyes) that touches the face's
// outline and reaches a quarter of an eye distance in, or is grey (a frame's temple); the
// target's own creases, smile lines, moles and the shading along its jaw are not occluders.
// Small specks (pores, freckles) are removed,
// the rest grown by a pixel or two so an occluder's anti-aliased edge stays the target's.
// Limits: a hand of the same colour as the face is not found (a model can find it); a
// beard or moustache counts as "in front" and is kept from the target.
// Thread safety: estimators keep scratch buffers; one per swapper.
#include <memory>
#include <opencv2/core.hpp>

#include "keyswap/face/mesh.hpp"

namespace keyswap::face {

// Where to look for occluders:
//   Face      the whole face area (--occlusion);
//   Forehead  only the band above the brows (the hairline guard every swap uses on the target);
//   HairRim   the forehead band and the face's outer rim above the nose (a source photo's hair
//             or background reaching into its face outline, which must not be pasted).
enum class OcclusionRegion { Face, Forehead, HairRim };

class OcclusionEstimator {
public:
    virtual ~OcclusionEstimator() = default;
    // Requires: image CV_8UC3 RGB region; mesh in its pixels; area CV_8U (255 = face area).
    // Ensures: `occluded` CV_8U of the image's size, 255 where something is in front of the
    // face (only inside `area` and `region`).
    virtual void estimate(const cv::Mat& image, const Mesh& mesh, const cv::Mat& area, OcclusionRegion region,
                          cv::Mat& occluded) = 0;
};

class SkinOcclusion final : public OcclusionEstimator {
public:
    void estimate(const cv::Mat& image, const Mesh& mesh, const cv::Mat& area, OcclusionRegion region,
                  cv::Mat& occluded) override;

private:
    void drop_small_blobs(cv::Mat& hair, float iod);
    void hang_from_above(cv::Mat& hair, float iod);
    void join_rim_hair(cv::Mat& hair, const cv::Mat& area, float iod);
    void keep_reaching_outline(cv::Mat& hair, const cv::Mat& area, float iod);
    void keep_entering_from_outside(cv::Mat& occluded, const cv::Mat& area, float iod);
    // depth_ (padded by one pixel): each pixel's distance to the outside of `area`.
    void measure_depth(const cv::Mat& area);
    cv::Mat ycc_, samples_, features_, band_, grown_, depth_;
};

// How much of the nose bridge between the eyes the occluders cross (0..1): the share of the
// bridge's width, between the inner eye corners and from just under the eye line up to about
// the brows' inner ends, in which some occluder pixel lies. A glasses frame's bridge crosses
// much of it; what else the whole-face estimate keeps on a face without glasses (heavy eye
// make-up, lashes, sideburns, a beard) does not reach there. `occluded` and `mesh` in the
// same pixels.
float bridge_cover(const cv::Mat& occluded, const Mesh& mesh);
// The cover from which a face wears glasses. Measured (docs/face-devset.md): 0 on 40 of 43
// faces without glasses, at most 0.30 (a frown); 0.45-1.0 on four of seven real glasses and
// on drawn frames (the other three, a thin metal frame on a turned head, 0.17-0.32).
inline constexpr float kGlassesBridge = 0.4f;
// Clears the occluders below the base of the nose (keeps the upper face's: a frame's rims,
// bridge and temples).
void keep_above_nose(cv::Mat& occluded, const Mesh& mesh);

// The face area of a mesh as OcclusionEstimator takes it: its convex hull, 255 inside.
cv::Mat mesh_hull(const Mesh& mesh, cv::Size size);

// The pixels of a source photo's cut-out that the swap may use (CV_8U, 255 = face): its face
// area minus hair or background inside the outline (HairRim region of SkinOcclusion), and minus
// the thin strip of forehead a fringe leaves above the brows (shadowed and ragged): where hair
// spans at least kStripCover eye distances of the forehead and its median gap to the brows is
// within kThinStrip eye distances, the forehead down to kFringeAboveBrows above the brows is
// left to the target.
inline constexpr float kFringeAboveBrows = 0.08f;
inline constexpr float kThinStrip = 0.35f;
inline constexpr float kStripCover = 1.0f;  // a fringe: hair above the brows over at least this width (eye distances)
cv::Mat usable_source_pixels(const cv::Mat& rgb, const Mesh& mesh);

}  // namespace keyswap::face
