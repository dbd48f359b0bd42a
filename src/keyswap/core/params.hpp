#pragma once
// One schema for every parameter.
//
// What this represents: a stage declares its settings struct S once, as a table of
// `Param<S>` rows {key, label, help, member, default, min, max, unit, runtime, choices}.
// From that one table keyswap generates CLI flags, validates preset files (JSON), feeds the
// web panel's schema and applies live updates. Adding a parameter is one row.
//
// Values travel as strings on the command line and as JSON elsewhere; `ParamTable::set`
// parses, validates (range, choices) and stores into the struct, throwing keyswap::Error
// (ErrorKind::Usage) naming the parameter on bad input.
// Thread safety: tables are immutable after construction and may be shared.
#include <nlohmann/json.hpp>

#include <string>
#include <variant>
#include <vector>

#include "keyswap/core/error.hpp"

namespace keyswap {

enum class ParamType { Bool, Int, Float, String, Choice, Color, StringList };

template <class S>
struct Param {
    using Member = std::variant<bool S::*, int S::*, double S::*, std::string S::*, std::vector<std::string> S::*>;
    std::string key;    // flag and JSON name, e.g. "clip-black"
    std::string label;  // short human name for the panel
    std::string help;   // one sentence for --help and tooltips
    Member member;
    ParamType type = ParamType::Float;
    double min = 0.0, max = 0.0;  // numeric range (inclusive); ignored for strings
    std::string unit;             // "px", "%", "frames", ...
    bool runtime = true;          // may change while streaming
    std::vector<std::string> choices;  // for ParamType::Choice
};

// Parses "#RRGGBB" or "RRGGBB" (or a few names) into 0..255 components; false if not a colour.
bool parse_color(const std::string& text, int rgb[3]);

namespace detail {
[[noreturn]] void bad_value(const std::string& key, const std::string& value, const std::string& why);
bool parse_bool(const std::string& key, const std::string& value);
double parse_number(const std::string& key, const std::string& value, double min, double max, bool integer);
void check_choice(const std::string& key, const std::string& value, const std::vector<std::string>& choices);
nlohmann::json spec_json(const std::string& key, const std::string& label, const std::string& help, ParamType type,
                         double min, double max, const std::string& unit, bool runtime,
                         const std::vector<std::string>& choices, const nlohmann::json& def);
}  // namespace detail

template <class S>
class ParamTable {
public:
    ParamTable(std::string stage, std::vector<Param<S>> rows) : stage_(std::move(stage)), rows_(std::move(rows)) {}

    const std::string& stage() const { return stage_; }
    const std::vector<Param<S>>& rows() const { return rows_; }
    const Param<S>* find(const std::string& key) const {
        for (auto& r : rows_)
            if (r.key == key) return &r;
        return nullptr;
    }

    // Parses `value` for `key` and stores it in `s`. Throws Error(Usage) on unknown key or bad value.
    void set(S& s, const std::string& key, const std::string& value) const {
        const Param<S>* p = find(key);
        if (!p) fail(ErrorKind::Usage, "unknown parameter '" + key + "' for " + stage_);
        std::visit(
            [&](auto m) {
                using M = std::decay_t<decltype(s.*m)>;
                if constexpr (std::is_same_v<M, bool>) {
                    s.*m = detail::parse_bool(key, value);
                } else if constexpr (std::is_same_v<M, int>) {
                    s.*m = static_cast<int>(detail::parse_number(key, value, p->min, p->max, true));
                } else if constexpr (std::is_same_v<M, double>) {
                    s.*m = detail::parse_number(key, value, p->min, p->max, false);
                } else if constexpr (std::is_same_v<M, std::vector<std::string>>) {
                    (s.*m).push_back(value);  // repeatable: each use adds one entry
                } else {
                    if (p->type == ParamType::Choice) detail::check_choice(key, value, p->choices);
                    if (p->type == ParamType::Color) {
                        int rgb[3];
                        if (!parse_color(value, rgb)) detail::bad_value(key, value, "expected a colour like #00FF00");
                    }
                    s.*m = value;
                }
            },
            p->member);
    }

    void set_json(S& s, const std::string& key, const nlohmann::json& v) const {
        if (v.is_array()) {
            const Param<S>* p = find(key);
            if (!p || p->type != ParamType::StringList) fail(ErrorKind::Usage, "parameter '" + key + "' takes one value, not a list");
            for (auto& e : v) set_json(s, key, e);
            return;
        }
        set(s, key, v.is_string() ? v.get<std::string>() : v.dump());
    }

    // Applies every key of a JSON object (a preset); unknown keys are errors.
    void apply(S& s, const nlohmann::json& obj) const {
        if (!obj.is_object()) fail(ErrorKind::Usage, stage_ + " settings must be a JSON object");
        for (auto& [k, v] : obj.items()) set_json(s, k, v);
    }

    nlohmann::json values(const S& s) const {
        nlohmann::json out = nlohmann::json::object();
        for (auto& r : rows_) std::visit([&](auto m) { out[r.key] = s.*m; }, r.member);
        return out;
    }

    // The schema the panel and docs are generated from; defaults come from S{}.
    nlohmann::json schema() const {
        S d{};
        nlohmann::json arr = nlohmann::json::array();
        for (auto& r : rows_) {
            nlohmann::json def;
            std::visit([&](auto m) { def = d.*m; }, r.member);
            arr.push_back(detail::spec_json(r.key, r.label, r.help, r.type, r.min, r.max, r.unit, r.runtime, r.choices, def));
        }
        return {{"stage", stage_}, {"params", arr}};
    }

private:
    std::string stage_;
    std::vector<Param<S>> rows_;
};

}  // namespace keyswap
