#include "keyswap/face/alignment.hpp"

#include <opencv2/imgproc.hpp>

namespace keyswap::face {
namespace {

// The five points of each template, in its own square's pixels (ArcFace: 112, FFHQ: unit).
constexpr float kArcFace[5][2] = {{38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f},
                                  {41.5493f, 92.3655f}, {70.7299f, 92.2041f}};
constexpr float kFfhq[5][2] = {{0.37691676f, 0.46864664f}, {0.62285697f, 0.46912813f}, {0.50123859f, 0.61331904f},
                               {0.39308822f, 0.72541100f}, {0.61150205f, 0.72490465f}};

FivePoints template_points(FaceTemplate t, int size) {
    FivePoints p;
    for (int i = 0; i < 5; ++i) {
        switch (t) {
            case FaceTemplate::ArcFace: {
                const float f = size / 112.0f;
                p[i] = {kArcFace[i][0] * f, kArcFace[i][1] * f};
                break;
            }
            case FaceTemplate::InSwapper: {
                const float f = size / 128.0f;
                p[i] = {(kArcFace[i][0] + 8.0f) * f, kArcFace[i][1] * f};
                break;
            }
            case FaceTemplate::Ffhq: p[i] = {kFfhq[i][0] * size, kFfhq[i][1] * size}; break;
        }
    }
    return p;
}

}  // namespace

FivePoints five_points(const Landmarks& l) { return {left_eye(l), right_eye(l), l[30], l[48], l[54]}; }

cv::Matx23d alignment(const FivePoints& points, FaceTemplate t, int size) {
    const FivePoints dst = template_points(t, size);
    return cv::Matx23d(similarity_fit(points, dst));
}

void cut_aligned(const cv::Mat& region, const Landmarks& local, FaceTemplate t, int size, AlignedCrop& out) {
    out.to_crop = alignment(five_points(local), t, size);
    cv::warpAffine(region, out.rgb, out.to_crop, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
}

void paste_back(const cv::Mat& crop_result, const cv::Matx23d& to_crop, cv::Size size, float border, cv::Mat& out,
                cv::Mat& coverage) {
    const int side = crop_result.cols;
    cv::warpAffine(crop_result, out, to_crop, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    // A smooth ramp over `border` of the side at each edge: separable, so built from one row.
    const float ramp = std::max(1.0f, border * side);
    cv::Mat edge(1, side, CV_32F);
    for (int i = 0; i < side; ++i) {
        const float d = std::min(i + 0.5f, side - i - 0.5f) / ramp;
        const float x = std::clamp(d, 0.0f, 1.0f);
        edge.at<float>(i) = x * x * (3.0f - 2.0f * x);
    }
    const cv::Mat square = edge.t() * edge;
    cv::warpAffine(square, coverage, to_crop, size, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, 0);
}

void to_planar(const cv::Mat& rgb, float scale, float shift, float* out) {
    const int n = rgb.rows * rgb.cols;
    for (int y = 0; y < rgb.rows; ++y) {
        const auto* p = rgb.ptr<cv::Vec3b>(y);
        float* r = out + y * rgb.cols;
        float* g = r + n;
        float* b = g + n;
        for (int x = 0; x < rgb.cols; ++x) {
            r[x] = p[x][0] * scale + shift;
            g[x] = p[x][1] * scale + shift;
            b[x] = p[x][2] * scale + shift;
        }
    }
}

void from_planar(const float* in, int size, float scale, float shift, cv::Mat& rgb) {
    rgb.create(size, size, CV_8UC3);
    const int n = size * size;
    for (int y = 0; y < size; ++y) {
        auto* p = rgb.ptr<cv::Vec3b>(y);
        const float* r = in + y * size;
        for (int x = 0; x < size; ++x)
            for (int c = 0; c < 3; ++c) p[x][c] = cv::saturate_cast<std::uint8_t>(r[x + c * n] * scale + shift);
    }
}

}  // namespace keyswap::face
