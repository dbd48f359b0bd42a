#pragma once
// Face identity embeddings.
//
// What this represents: dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1,
// 99.38% on LFW): a 150x150 face chip aligned from the 68 landmarks goes in, a 128-d vector
// comes out; two faces of the same person are usually closer than 0.6 (Euclidean).
// It costs tens of milliseconds per face on a CPU, so callers embed sources once and tracked
// faces once per track, never every frame.
// Thread safety: not thread safe (the network keeps its activations); one per owner.
#include <array>
#include <memory>

#include "keyswap/core/image.hpp"
#include "keyswap/face/geometry.hpp"

namespace keyswap::face {

using Embedding = std::array<float, 128>;

// Euclidean distance between two embeddings.
float embedding_distance(const Embedding& a, const Embedding& b);

class FaceEmbedder {
public:
    // Loads the model. Throws Error(Model) when it is missing or unreadable.
    FaceEmbedder();
    ~FaceEmbedder();
    FaceEmbedder(const FaceEmbedder&) = delete;
    FaceEmbedder& operator=(const FaceEmbedder&) = delete;

    // Requires: image has 1, 3 (RGB) or 4 (RGBA) channels; landmarks in its pixels.
    Embedding embed(ImageView<const std::uint8_t> image, const Landmarks& landmarks);

private:
    struct Net;
    std::unique_ptr<Net> net_;
};

}  // namespace keyswap::face
