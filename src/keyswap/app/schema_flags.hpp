#pragma once
// Generates a subcommand's flags from a schema (core/schema.hpp): one flag per row, grouped
// under the group's title in --help, showing type, range or choices, unit and default. The
// values given are collected as text in `FlagValues` and applied later, on top of a settings
// file, by the schema (which validates them), so flags always override the file.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "keyswap/core/schema.hpp"

namespace keyswap::app {

// (key, values) in the order the flags were defined; a key appears once.
using FlagValues = std::vector<std::pair<std::string, std::vector<std::string>>>;

inline std::string choice_list(const std::vector<std::string>& choices) {
    std::string list;
    for (auto& c : choices) {
        if (!list.empty()) list.push_back('|');
        list.append(c);
    }
    return list;
}

// Single-letter aliases kept from before the schema (a row has no room for them: they are a
// command-line matter only).
inline std::string flag_names(const std::string& key) { return key == "quiet" ? "-q,--quiet" : "--" + key; }

template <class Root>
void add_schema_flags(CLI::App* cmd, const Schema<Root>& schema, const std::shared_ptr<FlagValues>& given) {
    for (const auto& g : schema.groups())
        for (const auto& p : g.params) {
            const std::string key = p.key;
            auto* opt = cmd->add_option(
                flag_names(key),
                [given, key, is_bool = p.type == ParamType::Bool](const CLI::results_t& values) {
                    std::vector<std::string> v(values.begin(), values.end());
                    // A bare boolean flag ("--light-wrap") arrives with no value or an empty one.
                    if (is_bool && (v.empty() || (v.size() == 1 && v[0].empty()))) v = {"on"};
                    given->emplace_back(key, std::move(v));
                    return true;
                },
                p.help);
            opt->group(g.title);
            if (p.type == ParamType::Bool) opt->expected(0, 1);
            else if (p.type == ParamType::StringList) opt->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
            else opt->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
            if (p.type == ParamType::Choice) opt->type_name(choice_list(p.choices));
            else if (p.type == ParamType::Int || p.type == ParamType::Float)
                opt->type_name(CLI::detail::to_string(p.min) + ".." + CLI::detail::to_string(p.max) +
                               (p.unit.empty() ? std::string() : std::string(1, ' ').append(p.unit)));
            // A bare boolean flag must reach the callback with no value (meaning "on"): CLI11
            // would hand it the default string instead, so booleans show theirs in the type.
            const std::string def = param_default_text(p);
            if (p.type == ParamType::Bool) opt->type_name("[on|off], default " + def);
            else if (!def.empty()) opt->default_str(def);
        }
}

// Applies collected flags to `root` through the schema (a list flag replaces the list).
template <class Root>
void apply_flags(const Schema<Root>& schema, Root& root, const FlagValues& given) {
    for (const auto& [key, values] : given) {
        const ParamInfo* p = schema.find(key);
        if (p && p->type == ParamType::StringList) schema.set_json(root, key, nlohmann::json(values));
        else
            for (const auto& v : values) schema.set(root, key, v);
    }
}

}  // namespace keyswap::app
