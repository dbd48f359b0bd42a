#include "keyswap/face/arcface.hpp"

#include <cmath>
#include <numeric>

namespace keyswap::face {
namespace {
constexpr int kSide = 112;

void normalise(std::vector<float>& v) {
    const double n = std::sqrt(std::inner_product(v.begin(), v.end(), v.begin(), 0.0));
    if (n > 0)
        for (auto& x : v) x = static_cast<float>(x / n);
}
}  // namespace

ArcFaceEmbedder::ArcFaceEmbedder(const std::string& path) : model_(path, "ArcFace face embedder", 1) {
    model_.expect(1, 1);
    model_.expect_float_input(0, 4);
    const auto& in = model_.inputs()[0].shape;
    if ((in[1] != 3 && in[1] >= 0) || (in[2] != kSide && in[2] >= 0) || (in[3] != kSide && in[3] >= 0))
        model_.refuse("expected an input of [1,3,112,112], found " + infer::shape_text(in));
    const auto& out = model_.outputs()[0].shape;
    if (out.size() != 2 || out[1] < 16)
        model_.refuse("expected one output of [1,D] (D = 512 for w600k_r50), found " + infer::shape_text(out));
    size_ = static_cast<int>(out[1]);
}

std::vector<float> ArcFaceEmbedder::embed(const cv::Mat& rgb, const Landmarks& landmarks) {
    cut_aligned(rgb, landmarks, FaceTemplate::ArcFace, kSide, crop_);
    to_planar(crop_.rgb, 1.0f / 127.5f, -1.0f, model_.input({1, 3, kSide, kSide}).data());
    auto out = model_.run();
    const float* v = out[0].GetTensorData<float>();
    std::vector<float> e(v, v + size_);
    normalise(e);
    return e;
}

std::vector<float> mean_identity(const std::vector<std::vector<float>>& embeddings) {
    std::vector<float> m(embeddings.empty() ? 0 : embeddings[0].size(), 0.0f);
    for (const auto& e : embeddings)
        for (std::size_t i = 0; i < m.size() && i < e.size(); ++i) m[i] += e[i];
    normalise(m);
    return m;
}

float cosine(const std::vector<float>& a, const std::vector<float>& b) {
    return static_cast<float>(std::inner_product(a.begin(), a.begin() + static_cast<long>(std::min(a.size(), b.size())),
                                                 b.begin(), 0.0));
}

}  // namespace keyswap::face
