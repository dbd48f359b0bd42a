#pragma once
// The identity to swap in: one or more photos of the same person.
//
// What this represents: each source photo's face, cut out around the face (at most
// `kSourceIod` px between the eyes, enough for a 1080p target face), with its landmarks and
// mesh in the cut-out's pixels, its triangulation, and its 128-d identity embedding. Several
// photos of one person (a library) let the swap pick, per frame, the photo whose pose and
// expression (landmarks after removing position, scale and roll) best match the target's.
// Thread safety: immutable after construction; `best_match` is const.
#include <string>
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/face/embedding.hpp"
#include "keyswap/face/face_analyser.hpp"
#include "keyswap/face/mesh.hpp"

namespace keyswap::face {

// A decoded source photo (the app decodes with io::read_image). 1, 3 or 4 channels.
struct SourceImage {
    std::string name;  // for messages, e.g. the file name
    ImageU8 rgba;
};

struct SourceFace {
    std::string name;
    cv::Mat rgb;  // CV_8UC3 cut-out around the face
    Landmarks landmarks{};
    Mesh mesh{};
    std::vector<cv::Vec3i> triangles;
    Embedding embedding{};
};

class SourceLibrary {
public:
    // source_face: which face to take from photos with several (left to right, 0-based);
    // -1 = the only one. Throws Error(NoFace) for a photo without a face (naming it),
    // Error(Usage) when a photo has several and source_face is -1 (saying to pass --source-face),
    // or when source_face is out of range, or when `sources` is empty.
    SourceLibrary(const std::vector<SourceImage>& sources, int source_face, FaceAnalyser& analyser);

    const std::vector<SourceFace>& faces() const { return faces_; }

    // Index of the photo whose pose/expression best matches `target`. `previous` (-1 = none)
    // is kept unless another is clearly better, so the swap does not flicker between photos.
    int best_match(const Landmarks& target, int previous) const;

    // Smallest embedding distance from `e` to any photo in the library.
    float distance(const Embedding& e) const;

private:
    std::vector<SourceFace> faces_;
};

// Converts a 1/3/4-channel image to RGBA (copy), as the analyser expects.
ImageU8 to_rgba(const ImageU8& image);

}  // namespace keyswap::face
