#pragma once
// Reading what ONNX Runtime does not expose from a model file: its weights (initializers).
//
// What this represents: a read-only walk over the file's protobuf wire format (ModelProto ->
// GraphProto -> TensorProto), mapped into memory so a 500 MB swapper is not copied to find one
// matrix. inswapper-style swappers keep the matrix that turns an identity embedding into the
// generator's latent (`emap`) as the graph's last initializer, which no graph node reads.
// Failures (not a protobuf, cut short, external data) are Error(Model) naming the file.
// Thread safety: pure function of the file.
#include <cstdint>
#include <string>
#include <vector>

namespace keyswap::infer {

struct Initializer {
    std::string name;
    std::vector<std::int64_t> dims;
    std::vector<float> values;  // float tensors only
};

// The graph's last initializer; `what` names the model kind in messages. Throws Error(Model)
// when the file has none or it is not a float tensor stored in the file.
Initializer last_initializer(const std::string& path, const std::string& what);

}  // namespace keyswap::infer
