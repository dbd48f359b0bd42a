#pragma once
// Generates CLI flags from a stage's parameter table (core/params.hpp), so a parameter is
// declared once and every front end sees it. Values are validated by the table.
#include <CLI/CLI.hpp>

#include "keyswap/core/params.hpp"

namespace keyswap::app {

template <class S>
void add_param_flags(CLI::App* cmd, const ParamTable<S>& table, S& settings, const std::string& group) {
    for (const auto& row : table.rows()) {
        const std::string key = row.key;
        auto* opt = cmd->add_option(
            "--" + key,
            [&table, &settings, key](const CLI::results_t& values) {
                if (values.empty()) {
                    table.set(settings, key, "on");
                    return true;
                }
                for (const auto& v : values) table.set(settings, key, v);
                return true;
            },
            row.help);
        opt->group(group);
        if (row.type == ParamType::Bool) opt->expected(0, 1);
        else if (row.type == ParamType::StringList) opt->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        else opt->expected(1);
        if (row.type == ParamType::Choice) {
            std::string list;
            for (auto& c : row.choices) {
                if (!list.empty()) list += '|';
                list += c;
            }
            opt->type_name(list);
        } else if (row.type == ParamType::Int || row.type == ParamType::Float) {
            opt->type_name(CLI::detail::to_string(row.min) + ".." + CLI::detail::to_string(row.max) +
                           (row.unit.empty() ? "" : " " + row.unit));
        }
        std::visit([&](auto m) {
            using M = std::decay_t<decltype(settings.*m)>;
            if constexpr (std::is_same_v<M, bool>) opt->default_str(settings.*m ? "on" : "off");
            else if constexpr (std::is_same_v<M, std::string>) opt->default_str(settings.*m);
            else if constexpr (std::is_arithmetic_v<M>) opt->default_str(CLI::detail::to_string(settings.*m));
        }, row.member);
    }
}

}  // namespace keyswap::app
