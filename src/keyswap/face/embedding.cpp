#include "keyswap/face/embedding.hpp"

#include <dlib/dnn.h>
#include <dlib/image_processing.h>
#include <dlib/opencv.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"
#include "keyswap/face/model_paths.hpp"

namespace keyswap::face {

namespace {
using namespace dlib;  // the layer templates below read like the model's definition this way
// The ResNet layout of dlib's dnn_face_recognition_ex.cpp, which the model file was saved from.
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;
template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;
template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;
template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;
using anet_type = loss_metric<fc_no_bias<128, avg_pool_everything<alevel0<alevel1<alevel2<alevel3<alevel4<
    max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>>>>>>>>>;
}  // namespace

struct FaceEmbedder::Net {
    anet_type net;
};

float embedding_distance(const Embedding& a, const Embedding& b) {
    float s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
    return std::sqrt(s);
}

FaceEmbedder::FaceEmbedder() : net_(std::make_unique<Net>()) {
    const std::string path = model_path("dlib_face_recognition_resnet_model_v1.dat");
    try {
        dlib::deserialize(path) >> net_->net;
    } catch (const std::exception& e) {
        fail(ErrorKind::Model, std::string("cannot load the face recognition model (") + e.what() +
                                   "); run scripts/setup to reinstall it", path);
    }
}

FaceEmbedder::~FaceEmbedder() = default;

Embedding FaceEmbedder::embed(ImageView<const std::uint8_t> image, const Landmarks& landmarks) {
    // Only the face's neighbourhood is converted; the chip is cut from that.
    const cv::Rect2f b = bounds(landmarks);
    const float m = std::max(b.width, b.height) * 0.6f;
    const cv::Rect roi = cv::Rect(cv::Point(static_cast<int>(b.x - m), static_cast<int>(b.y - m)),
                                  cv::Point(static_cast<int>(b.br().x + m) + 1, static_cast<int>(b.br().y + m) + 1)) &
                         cv::Rect(0, 0, image.width, image.height);
    const int type = image.channels == 4 ? CV_8UC4 : image.channels == 3 ? CV_8UC3 : CV_8UC1;
    const cv::Mat frame(image.height, image.width, type, const_cast<std::uint8_t*>(image.data),
                        static_cast<std::size_t>(image.stride));
    cv::Mat rgb;
    const int code = image.channels == 4 ? cv::COLOR_RGBA2RGB : image.channels == 3 ? -1 : cv::COLOR_GRAY2RGB;
    if (code < 0)
        rgb = frame(roi).clone();
    else
        cv::cvtColor(frame(roi), rgb, code);

    std::vector<dlib::point> parts(kLandmarks);
    for (int i = 0; i < kLandmarks; ++i)
        parts[i] = dlib::point(std::lround(landmarks[i].x - roi.x), std::lround(landmarks[i].y - roi.y));
    const dlib::full_object_detection shape(dlib::rectangle(0, 0, roi.width - 1, roi.height - 1), parts);
    dlib::matrix<dlib::rgb_pixel> chip;
    dlib::extract_image_chip(dlib::cv_image<dlib::rgb_pixel>(rgb), dlib::get_face_chip_details(shape, 150, 0.25), chip);
    const dlib::matrix<float, 0, 1> v = net_->net(chip);
    Embedding out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = v(static_cast<long>(i));
    return out;
}

}  // namespace keyswap::face
