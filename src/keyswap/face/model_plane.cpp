#include "keyswap/face/model_plane.hpp"

#include <cstring>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace keyswap::face {

void fill_from_nearest(cv::Mat& table, const cv::Mat& missing) {
    const int n = cv::countNonZero(missing);
    if (n == 0 || n == static_cast<int>(missing.total())) return;
    cv::Mat dist, labels;
    cv::distanceTransform(missing, dist, labels, cv::DIST_L2, cv::DIST_MASK_5, cv::DIST_LABEL_PIXEL);
    // Each known cell is its own label: record where it is, then copy it to the cells it labels.
    std::vector<cv::Point> known(missing.total() + 1);
    for (int y = 0; y < table.rows; ++y)
        for (int x = 0; x < table.cols; ++x)
            if (!missing.at<std::uint8_t>(y, x)) known[static_cast<std::size_t>(labels.at<int>(y, x))] = {x, y};
    const std::size_t bytes = table.elemSize();
    for (int y = 0; y < table.rows; ++y)
        for (int x = 0; x < table.cols; ++x)
            if (missing.at<std::uint8_t>(y, x)) {
                const cv::Point from = known[static_cast<std::size_t>(labels.at<int>(y, x))];
                std::memcpy(table.ptr(y, x), table.ptr(from.y, from.x), bytes);
            }
}

}  // namespace keyswap::face
