#include "keyswap/infer/onnx_model.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "keyswap/core/error.hpp"
#include "keyswap/core/timing.hpp"

namespace keyswap::infer {

namespace {

// One runtime environment per process, as ONNX Runtime expects; its own log is kept to errors,
// which keyswap reports itself.
Ort::Env& environment() {
    static std::once_flag once;
    static Ort::Env* env = nullptr;
    std::call_once(once, [] { env = new Ort::Env(ORT_LOGGING_LEVEL_FATAL, "keyswap"); });
    return *env;
}

std::atomic<Provider> g_provider{Provider::Cpu};

const char* runtime_name(Provider p) {
    switch (p) {
        case Provider::Cuda: return "CUDAExecutionProvider";
        case Provider::TensorRt: return "TensorrtExecutionProvider";
        case Provider::OpenVino: return "OpenVINOExecutionProvider";
        case Provider::Cpu: break;
    }
    return "CPUExecutionProvider";
}

// TensorRT falls back to CUDA and CUDA to the CPU for operators they lack, as the runtime does
// when several providers are appended in order of preference.
void append_provider(Ort::SessionOptions& options, Provider p) {
    if (p == Provider::TensorRt) {
        OrtTensorRTProviderOptions trt{};
        options.AppendExecutionProvider_TensorRT(trt);
    }
    if (p == Provider::TensorRt || p == Provider::Cuda) {
        OrtCUDAProviderOptions cuda{};
        options.AppendExecutionProvider_CUDA(cuda);
    }
    if (p == Provider::OpenVino) options.AppendExecutionProvider_OpenVINO_V2({});
}

std::vector<TensorInfo> describe(const Ort::Session& s, bool inputs) {
    Ort::AllocatorWithDefaultOptions alloc;
    std::vector<TensorInfo> out;
    const std::size_t n = inputs ? s.GetInputCount() : s.GetOutputCount();
    for (std::size_t i = 0; i < n; ++i) {
        TensorInfo t;
        t.name = (inputs ? s.GetInputNameAllocated(i, alloc) : s.GetOutputNameAllocated(i, alloc)).get();
        const Ort::TypeInfo type = inputs ? s.GetInputTypeInfo(i) : s.GetOutputTypeInfo(i);
        if (type.GetONNXType() == ONNX_TYPE_TENSOR) {
            const auto info = type.GetTensorTypeAndShapeInfo();
            t.shape = info.GetShape();
            t.type = info.GetElementType();
        }
        out.push_back(std::move(t));
    }
    return out;
}

// The first line of the runtime's message: enough to say what is wrong, short enough for one line.
std::string first_line(const std::string& s) {
    const auto nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

std::vector<std::string> available_providers() { return Ort::GetAvailableProviders(); }

void set_execution_provider(Provider p) {
    const auto have = available_providers();
    if (std::find(have.begin(), have.end(), runtime_name(p)) == have.end()) {
        std::string list;
        for (const auto& h : have) list.append(list.empty() ? "" : ", ").append(h);
        fail(ErrorKind::Usage, std::string("execution provider '") + kProviderNames[static_cast<int>(p)] +
                                   "' is not in this build of ONNX Runtime (it has: " + list + ")");
    }
    g_provider = p;
}

Provider execution_provider() { return g_provider; }

std::string shape_text(std::span<const std::int64_t> shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ",";
        s += shape[i] < 0 ? "?" : std::to_string(shape[i]);
    }
    return s + "]";
}

OnnxModel::OnnxModel(const std::string& path, std::string what, int threads) : path_(path), what_(std::move(what)) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) fail(ErrorKind::Model, "no such model file (" + what_ + ")", path);
    if (!std::ifstream(path, std::ios::binary)) fail(ErrorKind::Model, "cannot read the model file (" + what_ + ")", path);
    try {
        Ort::SessionOptions options;
        options.SetIntraOpNumThreads(std::max(0, threads));
        options.SetInterOpNumThreads(1);
        options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
        append_provider(options, g_provider);
        session_ = Ort::Session(environment(), path.c_str(), options);
        inputs_ = describe(session_, true);
        outputs_ = describe(session_, false);
    } catch (const Ort::Exception& e) {
        fail(ErrorKind::Model, "not a usable ONNX model (" + what_ + "): " + first_line(e.what()), path);
    }
    for (const auto& t : inputs_) input_names_.push_back(t.name.c_str());
    for (const auto& t : outputs_) output_names_.push_back(t.name.c_str());
}

int OnnxModel::output_index(const std::string& name) const {
    for (std::size_t i = 0; i < outputs_.size(); ++i)
        if (outputs_[i].name == name) return static_cast<int>(i);
    return -1;
}

void OnnxModel::refuse(const std::string& why) const { fail(ErrorKind::Model, "not a " + what_ + " model: " + why, path_); }

void OnnxModel::expect(std::size_t inputs, std::size_t outputs) const {
    if (inputs_.size() != inputs || outputs_.size() != outputs)
        refuse("expected " + std::to_string(inputs) + " input(s) and " + std::to_string(outputs) + " outputs, found " +
               std::to_string(inputs_.size()) + " and " + std::to_string(outputs_.size()));
}

void OnnxModel::expect_float_input(std::size_t index, std::size_t rank) const {
    const TensorInfo& t = inputs_.at(index);
    if (t.type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || t.shape.size() != rank)
        refuse("input '" + t.name + "' should be a float tensor of rank " + std::to_string(rank) + ", is " +
               shape_text(t.shape) + (t.type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT ? "" : " and not float"));
}

std::span<float> OnnxModel::input(std::size_t index, const std::vector<std::int64_t>& shape) {
    if (index >= inputs_.size()) refuse("it has no input " + std::to_string(index));
    input_data_.resize(inputs_.size());
    input_shape_.resize(inputs_.size());
    given_.resize(inputs_.size(), 0);
    given_[index] = 1;
    std::size_t n = 1;
    for (auto d : shape) n *= static_cast<std::size_t>(d);
    input_data_[index].resize(n);
    input_shape_[index] = shape;
    return input_data_[index];
}

void OnnxModel::warm_up(const std::vector<std::vector<std::int64_t>>& shapes) {
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        auto in = input(i, shapes[i]);
        std::fill(in.begin(), in.end(), 0.0f);
    }
    (void)run();
}

std::vector<Ort::Value> OnnxModel::run() {
    Stopwatch sw;
    const Ort::MemoryInfo memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    if (given_.size() != inputs_.size() || std::count(given_.begin(), given_.end(), 0) > 0)
        refuse("not every input was given");  // a caller's bug, reported rather than crashed on
    std::vector<Ort::Value> in;
    double_data_.resize(inputs_.size());
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        if (inputs_[i].type == ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE) {
            // A few models take a double control (CodeFormer's fidelity weight): given as float.
            double_data_[i].assign(input_data_[i].begin(), input_data_[i].end());
            in.push_back(Ort::Value::CreateTensor<double>(memory, double_data_[i].data(), double_data_[i].size(),
                                                          input_shape_[i].data(), input_shape_[i].size()));
        } else {
            in.push_back(Ort::Value::CreateTensor<float>(memory, input_data_[i].data(), input_data_[i].size(),
                                                         input_shape_[i].data(), input_shape_[i].size()));
        }
    }
    try {
        auto out = session_.Run(Ort::RunOptions{nullptr}, input_names_.data(), in.data(), in.size(), output_names_.data(),
                                output_names_.size());
        last_ms_ = sw.ms();
        return out;
    } catch (const Ort::Exception& e) {
        fail(ErrorKind::Model, "the " + what_ + " failed on an input of " + shape_text(input_shape_[0]) + ": " +
                                   first_line(e.what()), path_);
    }
}

}  // namespace keyswap::infer
