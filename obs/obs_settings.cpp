#include "obs_settings.hpp"

#include <cstdio>

#include "keyswap/core/error.hpp"

namespace keyswap::obs {
namespace {

const auto& schema() { return pipeline::process_schema(); }

bool shown_group(const std::string& g) { return g == "key" || g == "face" || g == "compose" || g == "output"; }

// Output rows that mean something inside OBS (the composite is OBS's, alpha is straight).
bool shown_row(const std::string& group, const std::string& key) {
    if (group != "output") return true;
    return key == "background" || key == "background-fit" || key == "garbage-mask" || key == "core-mask";
}

bool is_file_row(const std::string& key) {
    return key == "reference" || key == "background" || key == "garbage-mask" || key == "core-mask";
}

const char* kImageFilter = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff);;All files (*.*)";

// OBS colours are 0xAABBGGRR.
std::string colour_text(long long c) {
    char s[8];
    std::snprintf(s, sizeof s, "#%02X%02X%02X", int(c & 0xff), int((c >> 8) & 0xff), int((c >> 16) & 0xff));
    return s;
}

void set_json_value(obs_data_t* s, const ParamInfo& p, const nlohmann::json& v) {
    const char* k = p.key.c_str();
    switch (p.type) {
        case ParamType::Bool: obs_data_set_bool(s, k, v.get<bool>()); break;
        case ParamType::Int: obs_data_set_int(s, k, v.get<long long>()); break;
        case ParamType::Float: obs_data_set_double(s, k, v.get<double>()); break;
        case ParamType::StringList: {
            obs_data_array_t* arr = obs_data_array_create();
            for (const auto& item : v) {
                obs_data_t* o = obs_data_create();
                obs_data_set_string(o, "value", item.get<std::string>().c_str());
                obs_data_array_push_back(arr, o);
                obs_data_release(o);
            }
            obs_data_set_array(s, k, arr);
            obs_data_array_release(arr);
            break;
        }
        default: obs_data_set_string(s, k, v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str()); break;
    }
}

void set_json_default(obs_data_t* s, const ParamInfo& p, const nlohmann::json& v) {
    const char* k = p.key.c_str();
    switch (p.type) {
        case ParamType::Bool: obs_data_set_default_bool(s, k, v.get<bool>()); break;
        case ParamType::Int: obs_data_set_default_int(s, k, v.get<long long>()); break;
        case ParamType::Float: obs_data_set_default_double(s, k, v.get<double>()); break;
        case ParamType::StringList: break;  // an empty list
        default: obs_data_set_default_string(s, k, v.is_string() ? v.get<std::string>().c_str() : ""); break;
    }
}

nlohmann::json value_of(obs_data_t* s, const ParamInfo& p) {
    const char* k = p.key.c_str();
    switch (p.type) {
        case ParamType::Bool: return obs_data_get_bool(s, k);
        case ParamType::Int: return obs_data_get_int(s, k);
        case ParamType::Float: return obs_data_get_double(s, k);
        case ParamType::StringList: {
            nlohmann::json out = nlohmann::json::array();
            obs_data_array_t* arr = obs_data_get_array(s, k);
            for (size_t i = 0, n = arr ? obs_data_array_count(arr) : 0; i < n; ++i) {
                obs_data_t* item = obs_data_array_item(arr, i);
                if (!obs_data_get_bool(item, "hidden")) {
                    const std::string v = obs_data_get_string(item, "value");
                    if (!v.empty()) out.push_back(v);
                }
                obs_data_release(item);
            }
            obs_data_array_release(arr);
            return out;
        }
        default: return std::string(obs_data_get_string(s, k));
    }
}

}  // namespace

void set_defaults(obs_data_t* s) {
    obs_data_set_default_bool(s, kKeyOn, true);
    obs_data_set_default_bool(s, kFaceOn, false);
    obs_data_set_default_int(s, kKeyColour, 0xff00ff00);  // green, 0xAABBGGRR
    for (const auto& g : schema().groups())
        if (shown_group(g.name))
            for (const auto& p : g.params)
                if (shown_row(g.name, p.key)) set_json_default(s, p, p.def);
}

void add_properties(obs_properties_t* props) {
    for (const auto& g : schema().groups()) {
        if (!shown_group(g.name)) continue;
        obs_properties_t* group = obs_properties_create();
        for (const auto& p : g.params) {
            if (!shown_row(g.name, p.key)) continue;
            const char* k = p.key.c_str();
            const char* label = p.label.c_str();
            obs_property_t* prop = nullptr;
            if (g.name == "key" && p.key == "key") {
                prop = obs_properties_add_list(group, k, label, OBS_COMBO_TYPE_EDITABLE, OBS_COMBO_FORMAT_STRING);
                for (const char* choice : {"auto", "green", "blue", "colour"}) obs_property_list_add_string(prop, choice, choice);
                obs_property_set_long_description(prop, (p.help + " \"colour\" keys the colour picked below.").c_str());
                obs_properties_add_color(group, kKeyColour, "Screen colour (with \"colour\")");
                continue;
            }
            switch (p.type) {
                case ParamType::Bool: prop = obs_properties_add_bool(group, k, label); break;
                case ParamType::Int:
                    prop = obs_properties_add_int_slider(group, k, label, int(p.min), int(p.max), 1);
                    break;
                case ParamType::Float: {
                    const double span = p.max - p.min;
                    const double step = span <= 0.01 ? span / 1000.0 : span <= 2.0 ? 0.01 : 0.1;
                    prop = obs_properties_add_float_slider(group, k, label, p.min, p.max, step);
                    break;
                }
                case ParamType::Choice:
                    prop = obs_properties_add_list(group, k, label, OBS_COMBO_TYPE_LIST, OBS_COMBO_FORMAT_STRING);
                    for (const auto& c : p.choices) obs_property_list_add_string(prop, c.c_str(), c.c_str());
                    break;
                case ParamType::StringList:
                    prop = obs_properties_add_editable_list(group, k, label,
                                                            p.key == "source" ? OBS_EDITABLE_LIST_TYPE_FILES
                                                                              : OBS_EDITABLE_LIST_TYPE_STRINGS,
                                                            p.key == "source" ? kImageFilter : nullptr, nullptr);
                    break;
                default:
                    prop = is_file_row(p.key) ? obs_properties_add_path(group, k, label, OBS_PATH_FILE, kImageFilter, nullptr)
                                              : obs_properties_add_text(group, k, label, OBS_TEXT_DEFAULT);
                    break;
            }
            if (prop) obs_property_set_long_description(prop, p.help.c_str());
        }
        const bool optional = g.name == "key" || g.name == "face";
        obs_properties_add_group(props, optional ? (g.name == "key" ? kKeyOn : kFaceOn) : ("keyswap-group-" + g.name).c_str(),
                                 g.title.c_str(), optional ? OBS_GROUP_CHECKABLE : OBS_GROUP_NORMAL, group);
    }
}

nlohmann::json document_of(obs_data_t* s) {
    nlohmann::json doc = {{"keyswap-settings", 1}};
    for (const auto& g : schema().groups()) {
        if (!shown_group(g.name)) continue;
        if ((g.name == "key" && !obs_data_get_bool(s, kKeyOn)) || (g.name == "face" && !obs_data_get_bool(s, kFaceOn)))
            continue;
        nlohmann::json obj = nlohmann::json::object();
        for (const auto& p : g.params) {
            if (!shown_row(g.name, p.key)) continue;
            nlohmann::json v = value_of(s, p);
            if (g.name == "key" && p.key == "key" && v == "colour") v = colour_text(obs_data_get_int(s, kKeyColour));
            obj[p.key] = std::move(v);
        }
        doc[g.name] = std::move(obj);
    }
    return doc;
}

pipeline::Settings settings_of(obs_data_t* s) {
    pipeline::Settings out;
    schema().apply_json(out, document_of(s));
    pipeline::check_settings(out);
    return out;
}

void load_file_into(obs_data_t* s, const std::string& file) {
    pipeline::Settings loaded = pipeline::load_settings(file);  // validates, names the file
    const nlohmann::json doc = schema().to_json(loaded);
    obs_data_set_bool(s, kKeyOn, doc.contains("key"));
    obs_data_set_bool(s, kFaceOn, doc.contains("face"));
    for (const auto& g : schema().groups()) {
        if (!shown_group(g.name) || !doc.contains(g.name)) continue;
        for (const auto& p : g.params)
            if (shown_row(g.name, p.key) && doc[g.name].contains(p.key)) set_json_value(s, p, doc[g.name][p.key]);
    }
}

}  // namespace keyswap::obs
