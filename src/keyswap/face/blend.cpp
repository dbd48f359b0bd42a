#include "keyswap/face/blend.hpp"

#include <opencv2/photo.hpp>

namespace keyswap::face {

void blend_region(ImageView<std::uint8_t> frame, const cv::Rect& region, const cv::Mat& swapped,
                  const cv::Mat& weight, const ImageF32* matte, ThreadPool& pool) {
    pool.parallel_rows(region.height, [&](int y0, int y1) {
        for (int y = y0; y < y1; ++y) {
            std::uint8_t* dst = frame.row(region.y + y) + static_cast<std::ptrdiff_t>(region.x) * 4;
            const std::uint8_t* src = swapped.ptr<std::uint8_t>(y);
            const float* w = weight.ptr<float>(y);
            const float* m = matte ? matte->row(region.y + y) + region.x : nullptr;
            for (int x = 0; x < region.width; ++x) {
                const float a = m ? w[x] * m[x] : w[x];
                if (a <= 0.0f) continue;  // untouched, bit for bit
                for (int c = 0; c < 3; ++c) {
                    const float t = dst[4 * x + c];
                    dst[4 * x + c] = static_cast<std::uint8_t>(t + a * (src[3 * x + c] - t) + 0.5f);
                }
            }
        }
    }, 32);
}

void mix_into(cv::Mat& dst, const cv::Mat& src, const cv::Mat& weight) {
    CV_Assert(dst.type() == src.type() && dst.size() == src.size() && weight.size() == dst.size() && weight.type() == CV_32F &&
              dst.depth() == CV_8U);
    const int n = dst.channels();
    for (int y = 0; y < dst.rows; ++y) {
        std::uint8_t* o = dst.ptr<std::uint8_t>(y);
        const std::uint8_t* m = src.ptr<std::uint8_t>(y);
        const float* a = weight.ptr<float>(y);
        for (int x = 0; x < dst.cols; ++x)
            for (int c = 0; c < n; ++c) {
                const int i = x * n + c;
                o[i] = cv::saturate_cast<std::uint8_t>(o[i] + a[x] * (m[i] - o[i]));
            }
    }
}

void poisson_clone(cv::Mat& swapped, const cv::Mat& target, const cv::Mat& area) {
    const cv::Rect b = cv::boundingRect(area);
    if (b.width < 3 || b.height < 3) return;
    // seamlessClone centres the area's bounding box on `p`; both images share the region's
    // coordinates, so p is that box's centre. It needs a one-pixel margin inside the image.
    // The clone takes its boundary from the target and its gradients from inside the area:
    // eroding the area keeps the warp's own edge (where it meets unwarped pixels) out of the
    // gradients, which otherwise diffuse a dark band across the cheek.
    cv::Mat inner;
    const int r = std::max(2, area.cols / 40);
    cv::erode(area, inner, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * r + 1, 2 * r + 1}));
    cv::rectangle(inner, cv::Rect(0, 0, inner.cols, inner.rows), 0, 1);
    const cv::Rect bi = cv::boundingRect(inner);
    if (bi.width < 3 || bi.height < 3) return;
    const cv::Point p(bi.x + bi.width / 2, bi.y + bi.height / 2);
    cv::Mat out;
    cv::seamlessClone(swapped, target, inner, p, out, cv::NORMAL_CLONE);
    swapped = out;
}

}  // namespace keyswap::face
