#include "keyswap/face/landmarks.hpp"

#include <fstream>
#include <mutex>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"
#include "keyswap/face/model_paths.hpp"

namespace keyswap::face {

LandmarkModel::LandmarkModel(const std::string& path) {
    // Same layout as dlib::deserialize(shape_predictor&): version 1, then the four members.
    try {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw std::runtime_error("cannot open");
        int version = 0;
        dlib::deserialize(version, in);
        if (version != 1) throw std::runtime_error("unsupported shape predictor version");
        dlib::deserialize(initial_shape_, in);
        dlib::deserialize(forests_, in);
        dlib::deserialize(anchor_idx_, in);
        dlib::deserialize(deltas_, in);
    } catch (const std::exception& e) {
        fail(ErrorKind::Model, std::string("cannot load the 68-point landmark model (") + e.what() +
                                   "); reinstall libdlib-data with scripts/setup", path);
    }
    if (initial_shape_.size() != 2 * kLandmarks || anchor_idx_.size() != forests_.size() ||
        deltas_.size() != forests_.size())
        fail(ErrorKind::Model, "not a 68-point shape predictor; run scripts/setup", path);
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
    for (int i = 0; i < kLandmarks; ++i) out[i] = {initial_shape_(2 * i), initial_shape_(2 * i + 1)};
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
    dlib::matrix<float, 0, 1> shape = initial_shape_;
    std::vector<float> features;
    for (std::size_t level = 0; level < forests_.size(); ++level) {
        // Feature pixels are placed relative to the current shape estimate (as in dlib's
        // extract_feature_pixel_values), then the level's trees add their corrections.
        const auto m = dlib::impl::find_tform_between_shapes(initial_shape_, shape).get_m();
        const auto& anchors = anchor_idx_[level];
        const auto& deltas = deltas_[level];
        features.resize(deltas.size());
        for (std::size_t i = 0; i < deltas.size(); ++i) {
            const float dx = static_cast<float>(m(0, 0) * deltas[i].x() + m(0, 1) * deltas[i].y());
            const float dy = static_cast<float>(m(1, 0) * deltas[i].x() + m(1, 1) * deltas[i].y());
            const float u = dx + shape(2 * anchors[i]), v = dy + shape(2 * anchors[i] + 1);
            const long px = std::lround(bx + u * bw), py = std::lround(by + v * bh);
            features[i] = (px >= 0 && py >= 0 && px < scratch.cols && py < scratch.rows)
                              ? static_cast<float>(scratch.at<unsigned char>(static_cast<int>(py), static_cast<int>(px)))
                              : 0.0f;
        }
        unsigned long leaf = 0;
        for (const auto& tree : forests_[level]) shape += tree(features, leaf);
    }
    for (int i = 0; i < kLandmarks; ++i)
        out[i] = {roi.x + bx + shape(2 * i) * bw, roi.y + by + shape(2 * i + 1) * bh};
    return out;
}

}  // namespace keyswap::face
