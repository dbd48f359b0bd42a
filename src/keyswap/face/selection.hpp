#pragma once
// Which of the tracked faces get swapped.
//
// What this represents: the `faces` policy.
//   one        a single face: the largest (face-order=large-small) or the leftmost
//              (left-right). The choice sticks to its track id while it lives, so two faces of
//              similar size do not trade the swap from frame to frame.
//   all        every tracked face.
//   reference  the faces whose identity embedding is within `reference_distance` of the
//              reference person's; decided once per track (embeddings are slow).
// Thread safety: not thread safe (remembers the chosen track); one per swapper.
#include <functional>
#include <optional>
#include <string>
#include <array>
#include <vector>

#include "keyswap/face/tracker.hpp"

namespace keyswap::face {

// Which faces of a frame are swapped: one, all, or those that match a reference person.
enum class FaceChoice { One, All, Reference };
inline constexpr std::array<const char*, 3> kFaceChoiceNames{"one", "all", "reference"};
// With FaceChoice::One: which face is "the" one.
enum class FaceOrder { LargeSmall, LeftRight };
inline constexpr std::array<const char*, 2> kFaceOrderNames{"large-small", "left-right"};


class FaceSelector {
public:
    // Throws Error(Usage) for FaceChoice::Reference without a reference.
    FaceSelector(FaceChoice faces, FaceOrder order, std::optional<Embedding> reference,
                 double reference_distance);

    // Indices into `tracks` to swap. `embed` gives (and caches) a track's embedding; it is called
    // only in reference mode, once per new track.
    std::vector<int> select(std::vector<Track>& tracks, const std::function<const Embedding&(Track&)>& embed);

    void reset() { chosen_id_ = -1; }

private:
    using Mode = FaceChoice;
    Mode mode_;
    bool left_right_ = false;
    std::optional<Embedding> reference_;
    double max_distance_;
    int chosen_id_ = -1;
};

}  // namespace keyswap::face
