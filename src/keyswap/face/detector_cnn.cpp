// dlib's MMOD CNN face detector (mmod_human_face_detector.dat), the network layout of dlib's
// dnn_mmod_face_detection_ex.cpp, which the model file was trained with.
#include <dlib/dnn.h>
#include <dlib/opencv.h>

#include "keyswap/core/error.hpp"
#include "keyswap/face/detector.hpp"
#include "keyswap/face/model_paths.hpp"

namespace keyswap::face {
namespace {

using namespace dlib;  // the layer templates below read like the model's definition this way
template <long N, typename SUBNET> using con5d = con<N, 5, 5, 2, 2, SUBNET>;
template <long N, typename SUBNET> using con5 = con<N, 5, 5, 1, 1, SUBNET>;
template <typename SUBNET>
using downsampler = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16, SUBNET>>>>>>>>>;
template <typename SUBNET> using rcon5 = relu<affine<con5<45, SUBNET>>>;
using mmod_net = loss_mmod<con<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;

class CnnDetector final : public FaceDetector {
public:
    explicit CnnDetector(int detect_width) : FaceDetector(detect_width) {
        const std::string path = model_path("mmod_human_face_detector.dat");
        try {
            deserialize(path) >> net_;
        } catch (const std::exception& e) {
            fail(ErrorKind::Model, std::string("cannot load the MMOD face detector (") + e.what() +
                                       "); run scripts/setup to reinstall it", path);
        }
    }

protected:
    bool wants_grey() const override { return false; }
    std::vector<Detection> detect_small(const cv::Mat& small) override {
        assign_image(input_, cv_image<rgb_pixel>(small));
        std::vector<Detection> out;
        for (auto& d : net_(input_))
            out.push_back({cv::Rect2f(d.rect.left(), d.rect.top(), d.rect.width(), d.rect.height()),
                           static_cast<float>(d.detection_confidence)});
        return out;
    }

private:
    mmod_net net_;
    matrix<rgb_pixel> input_;
};

}  // namespace

std::unique_ptr<FaceDetector> make_cnn_detector(int detect_width) { return std::make_unique<CnnDetector>(detect_width); }

}  // namespace keyswap::face
