#pragma once
// Small ONNX models made by the tests, written in protobuf's wire format, so the model-driven
// stages (swapper, embedder, enhancer, occlusion) are tested without the real weights: an
// identity "swapper" must give back its input, a model with a wrong signature must be refused.
// Only what those models need: float tensors, a few node attributes, opset 13.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace keyswap::test {

class OnnxBuilder {
public:
    // Shape entries < 0 are open dimensions; type is ONNX's element type (1 float, 11 double).
    OnnxBuilder& input(const std::string& name, const std::vector<std::int64_t>& shape, int type = 1);
    OnnxBuilder& output(const std::string& name, const std::vector<std::int64_t>& shape);
    struct Attr {
        std::string name;
        std::vector<std::int64_t> ints;  // an INTS attribute, or INT when `single`
        bool single = false;
    };
    OnnxBuilder& node(const std::string& op, const std::vector<std::string>& inputs,
                      const std::vector<std::string>& outputs, const std::vector<Attr>& attrs = {});
    OnnxBuilder& initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                             const std::vector<float>& values);
    // The model's bytes, and the same written to `path`.
    std::string bytes() const;
    void save(const std::string& path) const;

private:
    std::vector<std::string> inputs_, outputs_, nodes_, initializers_;
};

}  // namespace keyswap::test
