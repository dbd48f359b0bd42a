#pragma once
// One ONNX model loaded for inference.
//
// What this represents: an ONNX Runtime session over one model file, with the process-wide
// runtime environment behind it (created once, on first use), its input and output names and
// shapes read once, and its input tensor owned here and reused, so a call allocates only what
// the runtime allocates for the outputs. Every failure (missing or truncated file, not ONNX, an
// operator the runtime lacks, a signature other than the caller expects) is an Error(Model)
// naming the file, in one line.
// Which execution provider runs the models is a process-wide choice (`set_execution_provider`,
// from --execution-provider): the CPU by default, CUDA, TensorRT or OpenVINO where this build
// of the runtime has them; asking for one it lacks is an Error(Usage) listing what it has.
// Thread safety: one instance per thread; `run` reuses its buffers.
#include <onnxruntime_cxx_api.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace keyswap::infer {

struct TensorInfo {
    std::string name;
    std::vector<std::int64_t> shape;  // -1 where the model leaves a dimension open
    ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
};

// "[1,3,640,640]" with "?" for open dimensions: for messages.
std::string shape_text(std::span<const std::int64_t> shape);

// Execution providers by keyswap's names.
enum class Provider { Cpu, Cuda, TensorRt, OpenVino };
inline constexpr std::array<const char*, 4> kProviderNames{"cpu", "cuda", "tensorrt", "openvino"};
// The runtime's names of the providers this build has ("CPUExecutionProvider", ...).
std::vector<std::string> available_providers();
// For the models loaded after the call. Throws Error(Usage) when the build lacks it.
void set_execution_provider(Provider p);
Provider execution_provider();

class OnnxModel {
public:
    // `what` names the model kind in messages ("SCRFD face detector"). threads: intra-op
    // threads (0 = the runtime's default, one per core).
    OnnxModel(const std::string& path, std::string what, int threads = 1);

    const std::string& path() const { return path_; }
    const std::vector<TensorInfo>& inputs() const { return inputs_; }
    const std::vector<TensorInfo>& outputs() const { return outputs_; }
    // Index of the output called `name`, or -1.
    int output_index(const std::string& name) const;

    // Signature checks a model loader states once; each throws Error(Model) naming the file and
    // saying what was expected and what the file has.
    void expect(std::size_t inputs, std::size_t outputs) const;
    void expect_float_input(std::size_t index, std::size_t rank) const;
    [[noreturn]] void refuse(const std::string& why) const;

    // The model's input `index` (its order in inputs()), resized to `shape` (the buffer is kept
    // between calls); every input is fed from these buffers (converted for a double input).
    std::span<float> input(std::size_t index, const std::vector<std::int64_t>& shape);
    std::span<float> input(const std::vector<std::int64_t>& shape) { return input(0, shape); }
    // Runs the model on input(); the outputs in the model's order.
    std::vector<Ort::Value> run();

    // One run on zeros of these input shapes, at load: the runtime's first call allocates and
    // plans, and would otherwise land on a live stream's first frame.
    void warm_up(const std::vector<std::vector<std::int64_t>>& shapes);

    // Milliseconds of the last run (for the stage times).
    double last_ms() const { return last_ms_; }

private:
    std::string path_, what_;
    Ort::Session session_{nullptr};
    std::vector<TensorInfo> inputs_, outputs_;
    std::vector<const char*> input_names_, output_names_;
    std::vector<std::vector<float>> input_data_;
    std::vector<std::vector<std::int64_t>> input_shape_;  // {} = a scalar
    std::vector<char> given_;
    std::vector<std::vector<double>> double_data_;  // inputs the model takes as double
    double last_ms_ = 0;
};

}  // namespace keyswap::infer
