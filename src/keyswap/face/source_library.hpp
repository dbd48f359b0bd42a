#pragma once
// The identity to swap in: one or more photos of the same person.
//
// What this represents: each source photo's face, cut out around the face (at most
// `kSourceIod` px between the eyes, enough for a 1080p target face), with its landmarks and
// mesh in the cut-out's pixels, its triangulation, and its 128-d identity embedding. Several
// photos of one person (a library) let the swap pick, per frame, the photo whose pose and
// expression (landmarks after removing position, scale and roll) best match the target's.
// Each photo also gives a mirrored copy (landmarks renumbered left-right): a source turned to
// one side shows only that side well, and on a target turned the other way its far side would
// be stretched from a few pixels; the mirrored copy shows the hidden side by symmetry and is
// taken only when it matches the target's pose clearly better than the photo itself.
// A photo with several faces gives its dominant face (at least twice the area of the next),
// with a note; each face is checked for size, blur and a turned head, with a warning naming
// the photo (`notes`, for the caller to print).
// Thread safety: immutable after construction; `best_match` is const.
#include <string>
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/face/embedding.hpp"
#include "keyswap/face/face_analyser.hpp"
#include "keyswap/face/head_pose.hpp"
#include "keyswap/face/mesh.hpp"
#include "keyswap/face/reprojection.hpp"

namespace keyswap::face {

// A decoded source photo (the app decodes with io::read_image). 1, 3 or 4 channels.
struct SourceImage {
    std::string name;  // for messages, e.g. the file name
    ImageU8 rgba;
};

struct SourceFace {
    std::string name;
    cv::Mat rgb;     // CV_8UC3 cut-out around the face
    cv::Mat usable;  // CV_8U, rgb's size: 255 = face, 0 = hair or background inside its outline
    cv::Mat mouth;   // CV_8U, rgb's size: 255 = inside the mouth (teeth and gap, mouth_interior.hpp)
    Landmarks landmarks{};
    Mesh mesh{};
    std::vector<cv::Vec3i> triangles;
    Embedding embedding{};
    bool mirrored = false;  // the mirrored copy of photo `name`
    HeadPose pose;          // fitted on `landmarks`
    std::array<float, kMeshPoints> visibility{};  // of each mesh point in `pose`
    SourceAtlas atlas;      // the photo's pixel for each point of the generic head (reprojection.hpp)
};

// A face's yaw from its landmarks alone, in [-1, 1]: (nose-to-left-jaw - nose-to-right-jaw) /
// their sum, 0 for a frontal face; about +-0.5 at 45 degrees.
float yaw_ratio(const Landmarks& l);
// Sharpness of a face: standard deviation of the Laplacian of its grey image, inside the face
// box, normalised per level of contrast, at an eye distance of ~64 px. Below ~`kBlurry` a
// photo gives a soft swap.
float face_sharpness(const cv::Mat& rgb, const Landmarks& l);

class SourceLibrary {
public:
    // source_face: which face to take from photos with several (left to right, 0-based);
    // -1 = the only one, or the dominant one (>= 2x the area of the next, with a note).
    // Throws Error(NoFace) for a photo without a face (naming it), Error(Usage) when a photo has
    // several faces of similar size and source_face is -1 (saying to pass --source-face), or
    // when source_face is out of range, or when `sources` is empty.
    SourceLibrary(const std::vector<SourceImage>& sources, int source_face, FaceAnalyser& analyser);

    const std::vector<SourceFace>& faces() const { return faces_; }
    // The mirrored copy of face `i` (or, for a mirrored copy, its photo): the face seen from the
    // other side, which fills what `i` shows only edge-on.
    const SourceFace& partner(int i) const { return faces_[static_cast<std::size_t>(i ^ 1)]; }

    // Index of the photo whose pose/expression best matches `target`. `previous` (-1 = none)
    // is kept unless another is clearly better, so the swap does not flicker between photos.
    int best_match(const Landmarks& target, int previous) const;

    // Smallest embedding distance from `e` to any photo in the library.
    float distance(const Embedding& e) const;

    // Notes and warnings about the photos, one line each, naming the photo.
    const std::vector<std::string>& notes() const { return notes_; }

private:
    std::vector<SourceFace> faces_;
    std::vector<std::string> notes_;
};

// Converts a 1/3/4-channel image to RGBA (copy), as the analyser expects.
ImageU8 to_rgba(const ImageU8& image);

}  // namespace keyswap::face
