#include "keyswap/face/landmarks.hpp"

#include <dlib/image_processing/shape_predictor.h>

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <opencv2/core/hal/intrin.hpp>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"
#include "keyswap/face/model_paths.hpp"

namespace keyswap::face {

namespace {
constexpr int kValues = 2 * kLandmarks;

static_assert(kValues % 8 == 0);

// Written with OpenCV's universal intrinsics: GCC left this loop scalar at the portable (SSE2)
// baseline once it was merged into the tree walk.
void add_leaf(float* shape, const float* leaf) {
    for (int k = 0; k < kValues; k += 4)
        cv::v_store(shape + k, cv::v_load(leaf + k) + cv::v_load(shape + k));
}
}  // namespace

void LandmarkModel::HugeFree::operator()(float* p) const { std::free(p); }

LandmarkModel::LandmarkModel(const std::string& path) {
    // Same layout as dlib::deserialize(shape_predictor&): version 1, then the four members.
    dlib::matrix<float, 0, 1> initial;
    std::vector<std::vector<dlib::impl::regression_tree>> forests;
    std::vector<std::vector<unsigned long>> anchors;
    std::vector<std::vector<dlib::vector<float, 2>>> deltas;
    try {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw std::runtime_error("cannot open");
        int version = 0;
        dlib::deserialize(version, in);
        if (version != 1) throw std::runtime_error("unsupported shape predictor version");
        dlib::deserialize(initial, in);
        dlib::deserialize(forests, in);
        dlib::deserialize(anchors, in);
        dlib::deserialize(deltas, in);
    } catch (const std::exception& e) {
        fail(ErrorKind::Model, std::string("cannot load the 68-point landmark model (") + e.what() +
                                   "); reinstall libdlib-data with scripts/setup", path);
    }
    const auto bad = [&] { fail(ErrorKind::Model, "not a 68-point shape predictor; run scripts/setup", path); };
    if (initial.size() != 2 * kLandmarks || anchors.size() != forests.size() || deltas.size() != forests.size() ||
        forests.empty() || forests[0].empty())
        bad();
    initial_shape_.assign(initial.begin(), initial.end());
    splits_per_tree_ = static_cast<int>(forests[0][0].splits.size());
    while ((1 << depth_) - 1 < splits_per_tree_) ++depth_;
    if ((1 << depth_) - 1 != splits_per_tree_) bad();  // the walk assumes complete trees
    const std::size_t leaves = static_cast<std::size_t>(splits_per_tree_) + 1;
    std::size_t trees = 0;
    for (const auto& f : forests) trees += f.size();
    splits_.reserve(trees * static_cast<std::size_t>(splits_per_tree_));
    const std::size_t values = trees * leaves * 2 * kLandmarks;
    constexpr std::size_t kHuge = std::size_t{2} << 20;
    const std::size_t bytes = (values * sizeof(float) + kHuge - 1) / kHuge * kHuge;
    void* mem = std::aligned_alloc(kHuge, bytes);
    if (!mem) fail(ErrorKind::Model, "out of memory loading the landmark model", path);
    ::madvise(mem, bytes, MADV_HUGEPAGE);  // a hint: without transparent huge pages nothing changes
    leaves_.reset(static_cast<float*>(mem));
    float* out = leaves_.get();
    for (std::size_t l = 0; l < forests.size(); ++l) {
        Level level;
        level.trees = static_cast<int>(forests[l].size());
        if (anchors[l].size() != deltas[l].size() || deltas[l].size() > 65535) bad();
        for (std::size_t i = 0; i < anchors[l].size(); ++i) {
            if (anchors[l][i] >= static_cast<unsigned long>(kLandmarks)) bad();
            level.anchor.push_back(static_cast<std::uint32_t>(anchors[l][i]));
            level.delta.emplace_back(deltas[l][i].x(), deltas[l][i].y());
        }
        for (const auto& tree : forests[l]) {
            if (static_cast<int>(tree.splits.size()) != splits_per_tree_ || tree.leaf_values.size() != leaves) bad();
            for (const auto& sp : tree.splits) {
                if (sp.idx1 >= deltas[l].size() || sp.idx2 >= deltas[l].size()) bad();
                splits_.push_back({static_cast<std::uint16_t>(sp.idx1), static_cast<std::uint16_t>(sp.idx2), sp.thresh});
            }
            for (const auto& leaf : tree.leaf_values) {
                if (leaf.size() != 2 * kLandmarks) bad();
                out = std::copy(leaf.begin(), leaf.end(), out);
            }
        }
        levels_.push_back(std::move(level));
    }
}

std::shared_ptr<const LandmarkModel> LandmarkModel::shared() {
    static std::mutex mutex;
    static std::weak_ptr<const LandmarkModel> cache;
    std::lock_guard lock(mutex);
    auto model = cache.lock();
    if (!model) {
        model = std::make_shared<const LandmarkModel>(landmark_model_path());
        cache = model;
    }
    return model;
}

Landmarks LandmarkModel::mean_shape() const {
    Landmarks out{};
    for (int i = 0; i < kLandmarks; ++i) out[i] = {initial_shape_[2 * i], initial_shape_[2 * i + 1]};
    return out;
}

Landmarks LandmarkModel::fit(ImageView<const std::uint8_t> image, const cv::Rect2f& box, cv::Mat& scratch) const {
    // The predictor samples pixels a little outside the box; 35% margin covers its reach.
    const float mx = box.width * 0.35f, my = box.height * 0.35f;
    const cv::Rect roi = cv::Rect(cv::Point(static_cast<int>(box.x - mx), static_cast<int>(box.y - my)),
                                  cv::Point(static_cast<int>(box.br().x + mx) + 1, static_cast<int>(box.br().y + my) + 1)) &
                         cv::Rect(0, 0, image.width, image.height);
    Landmarks out{};
    if (roi.empty() || box.width < 2 || box.height < 2) {
        for (auto& p : out) p = {box.x + box.width / 2, box.y + box.height / 2};
        return out;
    }
    const int type = image.channels == 4 ? CV_8UC4 : image.channels == 3 ? CV_8UC3 : CV_8UC1;
    const cv::Mat frame(image.height, image.width, type, const_cast<std::uint8_t*>(image.data),
                        static_cast<std::size_t>(image.stride));
    if (image.channels == 1)
        frame(roi).copyTo(scratch);
    else
        cv::cvtColor(frame(roi), scratch, image.channels == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);

    // Box corners in ROI pixels; dlib maps the unit square onto (left,top)..(right,bottom).
    const float bx = box.x - roi.x, by = box.y - roi.y, bw = box.width - 1, bh = box.height - 1;
    std::array<float, kValues> shape;
    std::copy(initial_shape_.begin(), initial_shape_.end(), shape.begin());
    std::vector<float> features;
    dlib::matrix<float, 0, 1> initial(kValues), current(kValues);
    for (int k = 0; k < kValues; ++k) initial(k) = initial_shape_[k];
    const Split* split = splits_.data();
    const float* leaves = leaves_.get();
    const std::size_t leaf_stride = kValues, tree_stride = (static_cast<std::size_t>(splits_per_tree_) + 1) * kValues;
    const int splits = splits_per_tree_;
    for (const Level& level : levels_) {
        // Feature pixels are placed relative to the current shape estimate (as in dlib's
        // extract_feature_pixel_values), then the level's trees add their corrections.
        // dlib's own similarity fit, not an equivalent: the cascade is sensitive to the last
        // bit of where a feature pixel lands (one pixel read differently changes which leaves
        // later trees pick), so it is computed exactly as the model was trained with.
        for (int k = 0; k < kValues; ++k) current(k) = shape[k];
        const auto tform = dlib::impl::find_tform_between_shapes(initial, current).get_m();
        const float m00 = static_cast<float>(tform(0, 0)), m01 = static_cast<float>(tform(0, 1));
        const float m10 = static_cast<float>(tform(1, 0)), m11 = static_cast<float>(tform(1, 1));
        features.resize(level.delta.size());
        for (std::size_t i = 0; i < level.delta.size(); ++i) {
            const cv::Point2f d = level.delta[i];
            const float u = m00 * d.x + m01 * d.y + shape[2 * level.anchor[i]];
            const float v = m10 * d.x + m11 * d.y + shape[2 * level.anchor[i] + 1];
            const long px = std::lround(bx + u * bw), py = std::lround(by + v * bh);
            features[i] = (px >= 0 && py >= 0 && px < scratch.cols && py < scratch.rows)
                              ? static_cast<float>(scratch.at<unsigned char>(static_cast<int>(py), static_cast<int>(px)))
                              : 0.0f;
        }
        // Trees are walked a block at a time, one depth step for the whole block, so the
        // independent memory reads of several trees are in flight together: in the full face
        // path the model is no longer cached from the previous frame and each read waits on DRAM.
        constexpr int kBlock = 8;
        for (int t0 = 0; t0 < level.trees; t0 += kBlock) {
            const int n = std::min(kBlock, level.trees - t0);
            std::array<int, kBlock> node{};
            for (int d = 0; d < depth_; ++d)
                for (int j = 0; j < n; ++j) {
                    const Split& sp = split[static_cast<std::size_t>(j) * splits + node[j]];
                    node[j] = features[sp.idx1] - features[sp.idx2] > sp.thresh ? 2 * node[j] + 1 : 2 * node[j] + 2;
                }
            std::array<const float*, kBlock> leaf{};
            for (int j = 0; j < n; ++j) {
                leaf[j] = leaves + static_cast<std::size_t>(j) * tree_stride + static_cast<std::size_t>(node[j] - splits) * leaf_stride;
                for (int k = 0; k < kValues; k += 32) __builtin_prefetch(leaf[j] + k);
            }
            for (int j = 0; j < n; ++j) add_leaf(shape.data(), leaf[j]);
            split += static_cast<std::size_t>(n) * splits;
            leaves += static_cast<std::size_t>(n) * tree_stride;
        }
    }
    for (int i = 0; i < kLandmarks; ++i)
        out[i] = {roi.x + bx + shape[2 * i] * bw, roi.y + by + shape[2 * i + 1] * bh};
    return out;
}

}  // namespace keyswap::face
