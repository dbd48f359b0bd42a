#pragma once
// `keyswap settings`: every command's schema as text, JSON or the README's Markdown.
// Each subcommand with a schema exposes it here as sections (one per group).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "keyswap/core/schema.hpp"

namespace keyswap::app {

struct SchemaSection {
    std::string command;  // process | faces | bench
    std::string group;    // key, face, ...
    std::string title;    // Keying, Face swap, ...
    std::vector<ParamInfo> params;
};

template <class Root>
std::vector<SchemaSection> sections_of(const std::string& command, const Schema<Root>& schema) {
    std::vector<SchemaSection> out;
    for (const auto& g : schema.groups()) out.push_back({command, g.name, g.title, g.params});
    return out;
}

std::vector<SchemaSection> process_schema_sections();  // cmd_process.cpp
std::vector<SchemaSection> faces_schema_sections();    // cmd_faces.cpp
std::vector<SchemaSection> bench_schema_sections();    // cmd_bench.cpp

std::vector<SchemaSection> all_schema_sections();      // the three, in that order
nlohmann::json schema_json(const std::vector<SchemaSection>& sections);
std::string schema_text(const std::vector<SchemaSection>& sections);
// The README's option reference (between its "settings:begin/end" markers).
std::string schema_markdown(const std::vector<SchemaSection>& sections);

}  // namespace keyswap::app
