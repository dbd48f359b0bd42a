#include "onnx_builder.hpp"

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace keyswap::test {
namespace {

void varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}
void tag(std::string& out, int field, int wire) { varint(out, static_cast<std::uint64_t>(field) << 3 | wire); }
void field_int(std::string& out, int field, std::int64_t v) {
    tag(out, field, 0);
    varint(out, static_cast<std::uint64_t>(v));
}
void field_bytes(std::string& out, int field, const std::string& bytes) {
    tag(out, field, 2);
    varint(out, bytes.size());
    out += bytes;
}

// ValueInfoProto: name, TypeProto{tensor_type{elem_type FLOAT, shape{dim...}}}.
std::string value_info(const std::string& name, const std::vector<std::int64_t>& shape, int elem_type = 1) {
    std::string dims;
    for (auto d : shape) {
        std::string dim;
        if (d >= 0) field_int(dim, 1, d); else field_bytes(dim, 2, "n");
        field_bytes(dims, 1, dim);
    }
    std::string tensor;
    field_int(tensor, 1, elem_type);
    field_bytes(tensor, 2, dims);
    std::string type;
    field_bytes(type, 1, tensor);
    std::string out;
    field_bytes(out, 1, name);
    field_bytes(out, 2, type);
    return out;
}

}  // namespace

OnnxBuilder& OnnxBuilder::input(const std::string& name, const std::vector<std::int64_t>& shape, int type) {
    inputs_.push_back(value_info(name, shape, type));
    return *this;
}

OnnxBuilder& OnnxBuilder::output(const std::string& name, const std::vector<std::int64_t>& shape) {
    outputs_.push_back(value_info(name, shape));
    return *this;
}

OnnxBuilder& OnnxBuilder::node(const std::string& op, const std::vector<std::string>& inputs,
                               const std::vector<std::string>& outputs, const std::vector<Attr>& attrs) {
    std::string n;
    for (auto& i : inputs) field_bytes(n, 1, i);
    for (auto& o : outputs) field_bytes(n, 2, o);
    field_bytes(n, 3, op + "_" + std::to_string(nodes_.size()));
    field_bytes(n, 4, op);
    for (auto& a : attrs) {
        std::string attr;
        field_bytes(attr, 1, a.name);
        if (a.single) {
            field_int(attr, 3, a.ints.at(0));
            field_int(attr, 20, 2);  // INT
        } else {
            for (auto v : a.ints) field_int(attr, 8, v);
            field_int(attr, 20, 7);  // INTS
        }
        field_bytes(n, 5, attr);
    }
    nodes_.push_back(n);
    return *this;
}

OnnxBuilder& OnnxBuilder::initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                                      const std::vector<float>& values) {
    std::string t;
    for (auto d : dims) field_int(t, 1, d);
    field_int(t, 2, 1);  // FLOAT
    field_bytes(t, 8, name);
    std::string raw(values.size() * 4, '\0');
    std::memcpy(raw.data(), values.data(), raw.size());
    field_bytes(t, 9, raw);
    initializers_.push_back(t);
    return *this;
}

std::string OnnxBuilder::bytes() const {
    std::string graph;
    for (auto& n : nodes_) field_bytes(graph, 1, n);
    field_bytes(graph, 2, "test");
    for (auto& i : initializers_) field_bytes(graph, 5, i);
    for (auto& i : inputs_) field_bytes(graph, 11, i);
    for (auto& o : outputs_) field_bytes(graph, 12, o);
    std::string opset;
    field_bytes(opset, 1, "");
    field_int(opset, 2, 13);
    std::string model;
    field_int(model, 1, 8);  // IR version 8
    field_bytes(model, 2, "keyswap-tests");
    field_bytes(model, 7, graph);
    field_bytes(model, 8, opset);
    return model;
}

void OnnxBuilder::save(const std::string& path) const {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    const std::string b = bytes();
    f.write(b.data(), static_cast<std::streamsize>(b.size()));
    if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace keyswap::test
