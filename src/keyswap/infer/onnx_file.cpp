#include "keyswap/infer/onnx_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <span>

#include "keyswap/core/error.hpp"

namespace keyswap::infer {
namespace {

// Field numbers of onnx.proto that the walk needs.
constexpr std::uint32_t kModelGraph = 7;
constexpr std::uint32_t kGraphInitializer = 5;
constexpr std::uint32_t kTensorDims = 1, kTensorType = 2, kTensorFloats = 4, kTensorName = 8, kTensorRaw = 9,
                        kTensorLocation = 14;
constexpr std::uint64_t kFloatType = 1, kExternal = 1;

enum Wire : std::uint32_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

// One protobuf message's fields, in order. A malformed message ends the walk with ok() false.
class Fields {
public:
    explicit Fields(std::span<const std::uint8_t> bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

    // Next field; false at the end or on malformed input.
    bool next() {
        if (p_ == end_ || bad_) return false;
        const auto tag = varint();
        if (!tag) return false;
        field_ = static_cast<std::uint32_t>(*tag >> 3);
        wire_ = static_cast<std::uint32_t>(*tag & 7);
        switch (wire_) {
            case Varint:
                if (auto v = varint()) value_ = *v; else return false;
                return true;
            case Fixed64: return take(8);
            case Fixed32: return take(4);
            case Bytes:
                if (auto n = varint()) return take(*n);
                return false;
            default: bad_ = true; return false;
        }
    }
    std::uint32_t field() const { return field_; }
    std::uint32_t wire() const { return wire_; }
    std::uint64_t value() const { return value_; }
    std::span<const std::uint8_t> bytes() const { return bytes_; }
    bool ok() const { return !bad_; }

    static std::optional<std::uint64_t> varint_at(const std::uint8_t*& p, const std::uint8_t* end) {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64 && p < end; shift += 7) {
            const std::uint8_t b = *p++;
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        return std::nullopt;
    }

private:
    std::optional<std::uint64_t> varint() {
        auto v = varint_at(p_, end_);
        if (!v) bad_ = true;
        return v;
    }
    bool take(std::uint64_t n) {
        if (n > static_cast<std::uint64_t>(end_ - p_)) return !(bad_ = true);
        bytes_ = {p_, static_cast<std::size_t>(n)};
        value_ = 0;
        std::memcpy(&value_, p_, std::min<std::uint64_t>(n, 8));
        p_ += n;
        return true;
    }

    const std::uint8_t* p_;
    const std::uint8_t* end_;
    std::uint32_t field_ = 0, wire_ = 0;
    std::uint64_t value_ = 0;
    std::span<const std::uint8_t> bytes_;
    bool bad_ = false;
};

// The file mapped read-only for the walk.
class Mapped {
public:
    explicit Mapped(const std::string& path) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st {};
        if (fd_ < 0 || ::fstat(fd_, &st) != 0 || st.st_size <= 0) return;
        size_ = static_cast<std::size_t>(st.st_size);
        void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
        if (p != MAP_FAILED) data_ = static_cast<const std::uint8_t*>(p);
    }
    ~Mapped() {
        if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
        if (fd_ >= 0) ::close(fd_);
    }
    Mapped(const Mapped&) = delete;
    Mapped& operator=(const Mapped&) = delete;
    std::span<const std::uint8_t> bytes() const { return {data_, data_ ? size_ : 0}; }

private:
    int fd_ = -1;
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace

Initializer last_initializer(const std::string& path, const std::string& what) {
    const Mapped file(path);
    if (file.bytes().empty()) fail(ErrorKind::Model, "cannot read the model file (" + what + ")", path);
    const auto broken = [&] { fail(ErrorKind::Model, "not a readable ONNX file (" + what + "): cut short or damaged", path); };

    std::span<const std::uint8_t> graph;
    Fields model(file.bytes());
    while (model.next())
        if (model.field() == kModelGraph && model.wire() == Bytes) graph = model.bytes();
    if (!model.ok() || graph.empty()) broken();

    std::span<const std::uint8_t> last;
    Fields g(graph);
    while (g.next())
        if (g.field() == kGraphInitializer && g.wire() == Bytes) last = g.bytes();
    if (!g.ok()) broken();
    if (last.empty()) fail(ErrorKind::Model, "not a " + what + " model: it holds no weights (initializers)", path);

    Initializer out;
    std::uint64_t type = 0, location = 0;
    std::span<const std::uint8_t> raw;
    Fields t(last);
    while (t.next()) {
        switch (t.field()) {
            case kTensorDims:
                if (t.wire() == Varint) {
                    out.dims.push_back(static_cast<std::int64_t>(t.value()));
                } else {  // packed
                    const std::uint8_t* p = t.bytes().data();
                    const std::uint8_t* end = p + t.bytes().size();
                    while (p < end)
                        if (auto v = Fields::varint_at(p, end)) out.dims.push_back(static_cast<std::int64_t>(*v)); else broken();
                }
                break;
            case kTensorType: type = t.value(); break;
            case kTensorName: out.name.assign(t.bytes().begin(), t.bytes().end()); break;
            case kTensorRaw: raw = t.bytes(); break;
            case kTensorFloats:
                if (t.wire() == Bytes) {
                    out.values.resize(t.bytes().size() / 4);
                    std::memcpy(out.values.data(), t.bytes().data(), out.values.size() * 4);
                } else {
                    const auto bits = static_cast<std::uint32_t>(t.value());
                    float f;
                    std::memcpy(&f, &bits, 4);
                    out.values.push_back(f);
                }
                break;
            case kTensorLocation: location = t.value(); break;
            default: break;
        }
    }
    if (!t.ok()) broken();
    if (location == kExternal)
        fail(ErrorKind::Model, "not usable (" + what + "): its weights are in a separate file; use the single-file model", path);
    if (type != kFloatType) fail(ErrorKind::Model, "not a " + what + " model: its last initializer '" + out.name + "' is not float", path);
    if (!raw.empty()) {
        out.values.resize(raw.size() / 4);
        std::memcpy(out.values.data(), raw.data(), out.values.size() * 4);  // little-endian, as ONNX stores it
    }
    std::size_t n = 1;
    for (auto d : out.dims) n *= static_cast<std::size_t>(std::max<std::int64_t>(d, 0));
    if (n != out.values.size())
        fail(ErrorKind::Model, "not a readable ONNX file (" + what + "): initializer '" + out.name + "' holds " +
                                   std::to_string(out.values.size()) + " values for " + std::to_string(n), path);
    return out;
}

}  // namespace keyswap::infer
