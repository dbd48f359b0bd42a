#include "keyswap/face/neural_swapper.hpp"

#include <cmath>

#include "keyswap/core/error.hpp"
#include "keyswap/infer/onnx_file.hpp"

namespace keyswap::face {
namespace {
constexpr const char* kWhat = "inswapper face swapper";
// Share of the crop's side over which its pasted edge fades out.
constexpr float kCropBorder = 0.1f;
}  // namespace

NeuralSwapper::NeuralSwapper(const std::string& path) : model_(path, kWhat, 0) {
    model_.expect(2, 1);
    // The image input is the rank-4 one; the latent the rank-2 one (their names vary).
    const auto& ins = model_.inputs();
    target_input_ = ins[0].shape.size() == 4 ? 0 : 1;
    latent_input_ = 1 - target_input_;
    model_.expect_float_input(target_input_, 4);
    model_.expect_float_input(latent_input_, 2);
    const auto& img = ins[target_input_].shape;
    if ((img[1] != 3 && img[1] >= 0) || img[2] < 64 || img[2] != img[3])
        model_.refuse("expected a square RGB face input such as [1,3,128,128], found " + infer::shape_text(img));
    side_ = static_cast<int>(img[2]);
    const auto& lat = ins[latent_input_].shape;
    if (lat[1] < 16) model_.refuse("expected a latent input of [1,D], found " + infer::shape_text(lat));
    latent_size_ = static_cast<int>(lat[1]);
    const auto& out = model_.outputs()[0].shape;
    if (out.size() != 4 || (out[2] >= 0 && out[2] != side_) || (out[3] >= 0 && out[3] != side_))
        model_.refuse("expected an output of the input's size " + infer::shape_text(img) + ", found " + infer::shape_text(out));

    const infer::Initializer emap = infer::last_initializer(path, kWhat);
    if (emap.dims.size() != 2 || emap.dims[0] != latent_size_ || emap.dims[1] != latent_size_)
        model_.refuse("its last initializer '" + emap.name + "' should be the " + std::to_string(latent_size_) + "x" +
                      std::to_string(latent_size_) + " emap matrix, is " + infer::shape_text(emap.dims));
    emap_ = emap.values;
    std::vector<std::vector<std::int64_t>> shapes(2);
    shapes[target_input_] = {1, 3, side_, side_};
    shapes[latent_input_] = {1, latent_size_};
    model_.warm_up(shapes);
}

void NeuralSwapper::set_identity(std::span<const float> e, const std::string& embedder) {
    if (static_cast<int>(e.size()) != latent_size_)
        fail(ErrorKind::Model, "the embedder gives " + std::to_string(e.size()) + " values, the swapper " + model_.path() +
                                   " needs " + std::to_string(latent_size_) + "; use the embedder made for it",
             embedder);
    // latent = e * emap (a row vector times the matrix), then unit length.
    latent_.assign(static_cast<std::size_t>(latent_size_), 0.0f);
    for (int i = 0; i < latent_size_; ++i) {
        const float ei = e[static_cast<std::size_t>(i)];
        const float* row = emap_.data() + static_cast<std::size_t>(i) * latent_size_;
        for (int j = 0; j < latent_size_; ++j) latent_[static_cast<std::size_t>(j)] += ei * row[j];
    }
    double n = 0;
    for (float v : latent_) n += double(v) * v;
    n = std::sqrt(n);
    if (n > 0)
        for (auto& v : latent_) v = static_cast<float>(v / n);
}

void NeuralSwapper::swap(const cv::Mat& region, const Landmarks& local, cv::Mat& swapped, cv::Mat& coverage) {
    if (latent_.empty()) fail(ErrorKind::Processing, "the neural swapper has no source identity", model_.path());
    cut_aligned(region, local, FaceTemplate::InSwapper, side_, crop_);
    to_planar(crop_.rgb, 1.0f / 255.0f, 0.0f, model_.input(target_input_, {1, 3, side_, side_}).data());
    auto lat = model_.input(latent_input_, {1, latent_size_});
    std::copy(latent_.begin(), latent_.end(), lat.begin());
    auto out = model_.run();
    from_planar(out[0].GetTensorData<float>(), side_, 255.0f, 0.0f, result_);
    paste_back(result_, crop_.to_crop, region.size(), kCropBorder, swapped, coverage);
}

}  // namespace keyswap::face
