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

void check_choice(const std::string& key, const std::string& value, const std::vector<std::string>& choices) {
    if (std::find(choices.begin(), choices.end(), value) != choices.end()) return;
    std::string list;
    for (auto& c : choices) {
        if (!list.empty()) list += '|';
        list += c;
    }
    bad_value(key, value, "expected one of " + list);
}

nlohmann::json spec_json(const std::string& key, const std::string& label, const std::string& help, ParamType type,
                         double min, double max, const std::string& unit, bool runtime,
                         const std::vector<std::string>& choices, const nlohmann::json& def) {
    static const char* names[] = {"bool", "int", "float", "string", "choice", "color", "list"};
    nlohmann::json j = {{"key", key}, {"label", label}, {"help", help}, {"type", names[static_cast<int>(type)]},
                        {"default", def}, {"runtime", runtime}};
    if (type == ParamType::Int || type == ParamType::Float) {
        j["min"] = min;
        j["max"] = max;
    }
    if (!unit.empty()) j["unit"] = unit;
    if (!choices.empty()) j["choices"] = choices;
    return j;
}

}  // namespace detail
}  // namespace keyswap
