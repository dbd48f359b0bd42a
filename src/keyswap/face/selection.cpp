#include "keyswap/face/selection.hpp"

#include "keyswap/core/error.hpp"

namespace keyswap::face {

FaceSelector::FaceSelector(FaceChoice faces, FaceOrder order, std::optional<Embedding> reference,
                           double reference_distance)
    : mode_(faces), left_right_(order == FaceOrder::LeftRight), reference_(std::move(reference)),
      max_distance_(reference_distance) {
    if (mode_ == Mode::Reference && !reference_)
        fail(ErrorKind::Usage, "--faces reference needs --reference PHOTO of the person to replace");
}

std::vector<int> FaceSelector::select(std::vector<Track>& tracks, const std::function<const Embedding&(Track&)>& embed) {
    std::vector<int> out;
    switch (mode_) {
        case Mode::All:
            for (std::size_t i = 0; i < tracks.size(); ++i) out.push_back(static_cast<int>(i));
            break;
        case Mode::Reference:
            for (std::size_t i = 0; i < tracks.size(); ++i) {
                Track& t = tracks[i];
                if (!t.selected) t.selected = embedding_distance(embed(t), *reference_) <= max_distance_;
                if (*t.selected) out.push_back(static_cast<int>(i));
            }
            break;
        case Mode::One: {
            int best = -1;
            float best_key = 0;
            for (std::size_t i = 0; i < tracks.size(); ++i) {
                if (tracks[i].id == chosen_id_) {
                    best = static_cast<int>(i);
                    break;
                }
                // Larger key wins: face size, or minus the horizontal position.
                const float key = left_right_ ? -tracks[i].raw[30].x : inter_ocular(tracks[i].raw);
                if (best < 0 || key > best_key) best = static_cast<int>(i), best_key = key;
            }
            if (best >= 0) {
                chosen_id_ = tracks[best].id;
                out.push_back(best);
            }
            break;
        }
    }
    return out;
}

}  // namespace keyswap::face
