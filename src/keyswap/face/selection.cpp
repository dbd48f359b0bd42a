#include "keyswap/face/selection.hpp"

#include "keyswap/core/error.hpp"

namespace keyswap::face {

FaceSelector::FaceSelector(const std::string& faces, const std::string& order, std::optional<Embedding> reference,
                           double reference_distance)
    : reference_(std::move(reference)), max_distance_(reference_distance) {
    if (faces == "one") mode_ = Mode::One;
    else if (faces == "all") mode_ = Mode::All;
    else if (faces == "reference") mode_ = Mode::Reference;
    else fail(ErrorKind::Usage, "unknown --faces '" + faces + "'; use one, all or reference");
    if (order != "left-right" && order != "large-small")
        fail(ErrorKind::Usage, "unknown --face-order '" + order + "'; use left-right or large-small");
    left_right_ = order == "left-right";
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
