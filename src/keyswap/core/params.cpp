#include "keyswap/core/params.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace keyswap {

bool parse_color(const std::string& text, int rgb[3]) {
    std::string t = text;
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
    struct Named { const char* name; int r, g, b; };
    static const Named names[] = {{"green", 0, 255, 0}, {"blue", 0, 0, 255}, {"black", 0, 0, 0},
                                  {"white", 255, 255, 255}, {"red", 255, 0, 0}, {"gray", 128, 128, 128},
                                  {"grey", 128, 128, 128}};
    for (auto& n : names)
        if (t == n.name) {
            rgb[0] = n.r, rgb[1] = n.g, rgb[2] = n.b;
            return true;
        }
    if (!t.empty() && t[0] == '#') t.erase(0, 1);
    if (t.size() >= 2 && t[0] == '0' && t[1] == 'x') t.erase(0, 2);
    if (t.size() != 6 || !std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isxdigit(c); }))
        return false;
    const long v = std::strtol(t.c_str(), nullptr, 16);
    rgb[0] = static_cast<int>((v >> 16) & 255);
    rgb[1] = static_cast<int>((v >> 8) & 255);
    rgb[2] = static_cast<int>(v & 255);
    return true;
}

const char* param_type_name(ParamType t) {
    static const char* names[] = {"bool", "int", "float", "string", "choice", "color", "list"};
    return names[static_cast<int>(t)];
}

nlohmann::json param_spec(const ParamInfo& p) {
    nlohmann::json j = {{"key", p.key},         {"label", p.label}, {"help", p.help}, {"type", param_type_name(p.type)},
                        {"default", p.def},     {"runtime", p.runtime}};
    if (p.type == ParamType::Int || p.type == ParamType::Float) {
        j["min"] = p.min;
        j["max"] = p.max;
    }
    if (!p.unit.empty()) j["unit"] = p.unit;
    if (!p.choices.empty()) j["choices"] = p.choices;
    return j;
}

std::string param_default_text(const ParamInfo& p) {
    const auto& d = p.def;
    if (d.is_boolean()) return d.get<bool>() ? "on" : "off";
    if (d.is_string()) return d.get<std::string>();
    if (d.is_array()) {
        std::string out;
        for (auto& e : d) {
            if (!out.empty()) out.push_back(',');
            out.append(e.get<std::string>());
        }
        return out;
    }
    if (d.is_number_float()) {
        std::ostringstream os;
        os << d.get<double>();
        return os.str();
    }
    return d.dump();
}

namespace detail {

void bad_value(const std::string& key, const std::string& value, const std::string& why) {
    fail(ErrorKind::Usage, "invalid value '" + value + "' for --" + key + ": " + why);
}

bool parse_bool(const std::string& key, const std::string& value) {
    std::string v = value;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (v == "1" || v == "true" || v == "on" || v == "yes") return true;
    if (v == "0" || v == "false" || v == "off" || v == "no") return false;
    bad_value(key, value, "expected on/off");
}

void check_range(const std::string& key, double v, double min, double max) {
    if (min < max && !(v >= min && v <= max)) {
        std::ostringstream os, val;
        os << "must be between " << min << " and " << max;
        val << v;
        bad_value(key, val.str(), os.str());
    }
}

double parse_number(const std::string& key, const std::string& value, double min, double max, bool integer) {
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || end == value.c_str() || *end != '\0' || !std::isfinite(v))
        bad_value(key, value, integer ? "expected an integer" : "expected a number");
    if (integer && v != std::floor(v)) bad_value(key, value, "expected an integer");
    if (min < max && (v < min || v > max)) {
        std::ostringstream os;
        os << "must be between " << min << " and " << max;
        bad_value(key, value, os.str());
    }
    return v;
}

int choice_index(const std::string& key, const std::string& value, const std::vector<std::string>& choices) {
    const auto it = std::find(choices.begin(), choices.end(), value);
    if (it != choices.end()) return static_cast<int>(it - choices.begin());
    std::string list;
    for (auto& c : choices) {
        if (!list.empty()) list += '|';
        list += c;
    }
    bad_value(key, value, "expected one of " + list);
}

void assign(std::string& dst, const std::string& value) { dst = value; }
void append(std::vector<std::string>& dst, const std::string& value) { dst.push_back(value); }
void clear(std::vector<std::string>& dst) { dst.clear(); }

void check_json_type(const std::string& key, ParamType type, const nlohmann::json& v) {
    bool ok = false;
    const char* want = "";
    switch (type) {
        case ParamType::Bool: ok = v.is_boolean(), want = "true or false"; break;
        case ParamType::Int: ok = v.is_number_integer() || (v.is_number_float() && v.get<double>() == std::floor(v.get<double>())), want = "an integer"; break;
        case ParamType::Float: ok = v.is_number(), want = "a number"; break;
        case ParamType::String:
        case ParamType::Choice:
        case ParamType::Color: ok = v.is_string(), want = "a string"; break;
        case ParamType::StringList:
            ok = v.is_string() || (v.is_array() && std::all_of(v.begin(), v.end(), [](auto& e) { return e.is_string(); }));
            want = "a string or a list of strings";
            break;
    }
    if (!ok) fail(ErrorKind::Usage, "setting '" + key + "' must be " + want + ", not " + v.dump());
}

}  // namespace detail
}  // namespace keyswap
