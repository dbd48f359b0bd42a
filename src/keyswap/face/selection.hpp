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
#include <vector>

#include "keyswap/face/tracker.hpp"

namespace keyswap::face {

class FaceSelector {
public:
    // Throws Error(Usage) for unknown modes or orders, or mode "reference" without a reference.
    FaceSelector(const std::string& faces, const std::string& order, std::optional<Embedding> reference,
                 double reference_distance);

    // Indices into `tracks` to swap. `embed` gives (and caches) a track's embedding; it is called
    // only in reference mode, once per new track.
    std::vector<int> select(std::vector<Track>& tracks, const std::function<const Embedding&(Track&)>& embed);

    void reset() { chosen_id_ = -1; }

private:
    enum class Mode { One, All, Reference } mode_;
    bool left_right_ = false;
    std::optional<Embedding> reference_;
    double max_distance_;
    int chosen_id_ = -1;
};

}  // namespace keyswap::face
