#include "keyswap/matte/matte_shape.hpp"

#include <opencv2/imgproc.hpp>

#include <cstdlib>

namespace keyswap::matte {

void MatteShape::configure(int shrink_grow, double softness) {
    grow_ = shrink_grow;
    softness_ = softness;
}

void MatteShape::apply(ImageF32& matte) {
    if (!active() || matte.empty()) return;
    tmp_.reshape(matte.width(), matte.height(), 1);
    cv::Mat m(matte.height(), matte.width(), CV_32FC1, matte.data());
    cv::Mat t(matte.height(), matte.width(), CV_32FC1, tmp_.data());
    if (grow_ != 0) {
        const int r = std::abs(grow_);
        const cv::Mat k = cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * r + 1, 2 * r + 1});
        if (grow_ > 0) cv::dilate(m, t, k, {-1, -1}, 1, cv::BORDER_REPLICATE);
        else cv::erode(m, t, k, {-1, -1}, 1, cv::BORDER_REPLICATE);
        t.copyTo(m);
    }
    if (softness_ > 0.0) {
        cv::GaussianBlur(m, t, {0, 0}, softness_ * 0.5, softness_ * 0.5, cv::BORDER_REPLICATE);
        t.copyTo(m);
    }
}

}  // namespace keyswap::matte
