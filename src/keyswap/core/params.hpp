#pragma once
// One schema for every parameter.
//
// What this represents: a stage declares its settings struct S once, as a table of
// `Param<S>` rows {key, label, help, member, type, min, max, unit, runtime}. From that one
// table keyswap generates CLI flags, reads and writes settings files (JSON), feeds the web
// panel's schema, applies live updates and writes the README's option reference. Adding a
// parameter is one row:
//
//     {"softness", "Edge softness", "Blur the matte edge by this radius.", &S::softness, T::Float, 0, 50, "px"},
//
// Choice lists are enums: the stage declares `enum class Blend { Feather, Poisson };` and one
// name array `kBlendNames{"feather", "poisson"}` (index = enum value) beside it, and the row's
// member is `choice(&S::blend, kBlendNames)`. The table validates names once; stages read the
// enum and never compare strings.
//
// Values travel as strings on the command line and as typed JSON elsewhere; `set` and
// `set_json` parse, validate (type, range, choices) and store into the struct, throwing
// keyswap::Error (ErrorKind::Usage) naming the parameter on bad input and leaving S unchanged.
// Thread safety: tables are immutable after construction and may be shared.
#include <nlohmann/json.hpp>

#include <array>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "keyswap/core/error.hpp"

namespace keyswap {

enum class ParamType { Bool, Int, Float, String, Choice, Color, StringList };

// A choice member of S (an enum whose values are 0..n-1 in the order of `names`).
template <class S>
struct EnumField {
    std::function<int(const S&)> get;
    std::function<void(S&, int)> set;
    std::vector<std::string> names;
};

template <class S, class E, std::size_t N>
EnumField<S> choice(E S::*member, const std::array<const char*, N>& names) {
    return {[member](const S& s) { return static_cast<int>(s.*member); },
            [member](S& s, int v) { s.*member = static_cast<E>(v); }, std::vector<std::string>(names.begin(), names.end())};
}

// The name of an enum value in its name array (for messages and settings files).
template <class E, std::size_t N>
const char* enum_name(E value, const std::array<const char*, N>& names) {
    const auto i = static_cast<std::size_t>(value);
    return i < N ? names[i] : "?";
}

template <class S>
struct Param {
    using Member = std::variant<bool S::*, int S::*, double S::*, std::string S::*, std::vector<std::string> S::*, EnumField<S>>;
    std::string key;    // flag and JSON name, e.g. "clip-black"
    std::string label;  // short human name for the panel
    std::string help;   // one sentence for --help and tooltips
    Member member;
    ParamType type = ParamType::Float;
    double min = 0.0, max = 0.0;  // numeric range (inclusive); ignored for other types
    std::string unit;             // "px", "%", "frames", ...
    bool runtime = true;          // may change while streaming (between two frames)
};

// A row without its member: what the CLI, the panel and the docs need to present it.
struct ParamInfo {
    std::string key, label, help;
    ParamType type = ParamType::Float;
    double min = 0.0, max = 0.0;
    std::string unit;
    bool runtime = true;
    std::vector<std::string> choices;  // ParamType::Choice
    nlohmann::json def;                // the default value, as in a settings file
};

const char* param_type_name(ParamType t);  // "bool", "int", "float", "string", "choice", "color", "list"
nlohmann::json param_spec(const ParamInfo& p);  // one row of `keyswap settings --json`
// The default as the command line shows it ("on", "0.5", "feather", "" for none).
std::string param_default_text(const ParamInfo& p);

// Parses "#RRGGBB" or "RRGGBB" (or a few names) into 0..255 components; false if not a colour.
bool parse_color(const std::string& text, int rgb[3]);

namespace detail {
[[noreturn]] void bad_value(const std::string& key, const std::string& value, const std::string& why);
bool parse_bool(const std::string& key, const std::string& value);
double parse_number(const std::string& key, const std::string& value, double min, double max, bool integer);
void check_range(const std::string& key, double v, double min, double max);
int choice_index(const std::string& key, const std::string& value, const std::vector<std::string>& choices);
// Checks a JSON value's type against the row's; throws Error(Usage) naming the key.
void check_json_type(const std::string& key, ParamType type, const nlohmann::json& v);
// Out of line on purpose: inlined into the std::visit branch for a member type S does not
// have, GCC 12 -O3 reports a false -Warray-bounds on the string copy.
void assign(std::string& dst, const std::string& value);
void append(std::vector<std::string>& dst, const std::string& value);
void clear(std::vector<std::string>& dst);
}  // namespace detail

template <class S>
class ParamTable {
public:
    // Throws std::logic_error when a row's type does not fit its member (a programming error).
    ParamTable(std::string stage, std::vector<Param<S>> rows) : stage_(std::move(stage)), rows_(std::move(rows)) {
        for (const auto& r : rows_) {
            const bool is_enum = std::holds_alternative<EnumField<S>>(r.member);
            if (is_enum != (r.type == ParamType::Choice))
                throw std::logic_error("parameter '" + r.key + "': a choice needs choice(&S::member, names)");
        }
    }

    const std::string& stage() const { return stage_; }
    const std::vector<Param<S>>& rows() const { return rows_; }
    const Param<S>* find(const std::string& key) const {
        for (auto& r : rows_)
            if (r.key == key) return &r;
        return nullptr;
    }

    // Parses `value` for `key` and stores it in `s`. Throws Error(Usage) on unknown key or bad value.
    void set(S& s, const std::string& key, const std::string& value) const {
        const Param<S>& p = row(key);
        std::visit(
            [&](const auto& m) {
                using M = std::decay_t<decltype(m)>;
                if constexpr (std::is_same_v<M, EnumField<S>>) {
                    m.set(s, detail::choice_index(key, value, m.names));
                } else {
                    using V = std::decay_t<decltype(s.*m)>;
                    if constexpr (std::is_same_v<V, bool>) {
                        s.*m = detail::parse_bool(key, value);
                    } else if constexpr (std::is_same_v<V, int>) {
                        s.*m = static_cast<int>(detail::parse_number(key, value, p.min, p.max, true));
                    } else if constexpr (std::is_same_v<V, double>) {
                        s.*m = detail::parse_number(key, value, p.min, p.max, false);
                    } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
                        detail::append(s.*m, value);  // repeatable: each use adds one entry
                    } else {
                        if (p.type == ParamType::Color) {
                            int rgb[3];
                            if (!parse_color(value, rgb)) detail::bad_value(key, value, "expected a colour like #00FF00");
                        }
                        detail::assign(s.*m, value);
                    }
                }
            },
            p.member);
    }

    // Stores a typed JSON value (a settings file's). A list replaces the whole list.
    void set_json(S& s, const std::string& key, const nlohmann::json& v) const {
        const Param<S>& p = row(key);
        detail::check_json_type(key, p.type, v);
        if (p.type == ParamType::StringList) {
            S tmp = s;
            detail::clear(tmp.*std::get<std::vector<std::string> S::*>(p.member));
            if (v.is_string()) set(tmp, key, v.get<std::string>());
            else
                for (auto& e : v) set(tmp, key, e.get<std::string>());
            s = std::move(tmp);
            return;
        }
        if (v.is_boolean()) set(s, key, v.get<bool>() ? "on" : "off");
        else if (v.is_string()) set(s, key, v.get<std::string>());
        else set(s, key, v.dump());
    }

    // Applies every key of a JSON object; unknown keys are errors.
    void apply(S& s, const nlohmann::json& obj) const {
        if (!obj.is_object()) fail(ErrorKind::Usage, stage_ + " settings must be a JSON object");
        for (auto& [k, v] : obj.items()) set_json(s, k, v);
    }

    // The values of `s` as a settings file holds them (choices by name).
    nlohmann::json values(const S& s) const {
        nlohmann::json out = nlohmann::json::object();
        for (auto& r : rows_) out[r.key] = value(s, r);
        return out;
    }

    // Checks numeric members against their ranges, for settings built in code rather than
    // parsed through the table. Throws Error(Usage) naming the key.
    void validate(const S& s) const {
        for (auto& r : rows_)
            std::visit(
                [&](const auto& m) {
                    if constexpr (!std::is_same_v<std::decay_t<decltype(m)>, EnumField<S>>) {
                        using V = std::decay_t<decltype(s.*m)>;
                        if constexpr (std::is_same_v<V, int> || std::is_same_v<V, double>)
                            detail::check_range(r.key, double(s.*m), r.min, r.max);
                    }
                },
                r.member);
    }

    // Live update: copies every row that may not change while running (runtime = false) from
    // `current` into `next`. Returns the keys whose requested value was thereby refused.
    std::vector<std::string> keep_fixed(S& next, const S& current) const {
        std::vector<std::string> refused;
        for (auto& r : rows_) {
            if (r.runtime || value(next, r) == value(current, r)) continue;
            refused.push_back(r.key);
            std::visit(
                [&](const auto& m) {
                    if constexpr (std::is_same_v<std::decay_t<decltype(m)>, EnumField<S>>) m.set(next, m.get(current));
                    else next.*m = current.*m;
                },
                r.member);
        }
        return refused;
    }

    // The rows as the CLI, panel and docs present them; defaults come from S{}.
    std::vector<ParamInfo> info() const {
        const S d{};
        std::vector<ParamInfo> out;
        for (auto& r : rows_) {
            ParamInfo i{r.key, r.label, r.help, r.type, r.min, r.max, r.unit, r.runtime, {}, value(d, r)};
            if (auto* e = std::get_if<EnumField<S>>(&r.member)) i.choices = e->names;
            out.push_back(std::move(i));
        }
        return out;
    }

    // {"stage": ..., "params": [...]}, the schema the panel and docs are generated from.
    nlohmann::json schema() const {
        nlohmann::json arr = nlohmann::json::array();
        for (auto& i : info()) arr.push_back(param_spec(i));
        return {{"stage", stage_}, {"params", arr}};
    }

    // Keeps only the named rows (in this table's order), for a front end that offers a part
    // of a stage's settings (e.g. `faces` offers the detector's, not the swap's).
    ParamTable subset(std::string stage, const std::vector<std::string>& keys) const {
        std::vector<Param<S>> rows;
        for (auto& r : rows_)
            for (auto& k : keys)
                if (r.key == k) rows.push_back(r);
        return ParamTable(std::move(stage), std::move(rows));
    }

private:
    const Param<S>& row(const std::string& key) const {
        const Param<S>* p = find(key);
        if (!p) fail(ErrorKind::Usage, "unknown setting '" + key + "' for " + stage_);
        return *p;
    }
    static nlohmann::json value(const S& s, const Param<S>& r) {
        return std::visit(
            [&](const auto& m) -> nlohmann::json {
                if constexpr (std::is_same_v<std::decay_t<decltype(m)>, EnumField<S>>) return m.names.at(m.get(s));
                else return s.*m;
            },
            r.member);
    }

    std::string stage_;
    std::vector<Param<S>> rows_;
};

}  // namespace keyswap
