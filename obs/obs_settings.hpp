#pragma once
// The filter's properties and settings, generated from keyswap's settings schema
// (pipeline::process_schema): one OBS property per row of the groups a filter needs (key,
// face, compose and the background and masks of output), with the row's label, help,
// range, choices and default. The keys in OBS's settings are the schema's keys, so the
// filter's JSON in a scene collection reads like a settings file; two checkboxes say whether
// the optional stages (keying, face swap) are on, as a group's presence does in a file.
// Thread safety: call from OBS's UI thread (properties) or anywhere (conversions).
#include <obs.h>

#include <nlohmann/json.hpp>

#include "keyswap/pipeline/settings.hpp"

namespace keyswap::obs {

// The stage switches (not schema keys: the schema's own "key" names the screen).
inline constexpr const char* kKeyOn = "keyswap-key-on";
inline constexpr const char* kFaceOn = "keyswap-face-on";
// The screen picked with the colour picker when "key" is "colour".
inline constexpr const char* kKeyColour = "keyswap-key-colour";
// A settings file to load with the button.
inline constexpr const char* kSettingsFile = "keyswap-settings-file";
// The filter's stats drawn on its picture (off by default; OBS's own, not the pass's).
inline constexpr const char* kShowStats = "keyswap-show-stats";

void set_defaults(obs_data_t* settings);
void add_properties(obs_properties_t* props);

// The settings document ({"key": {...}, "face": {...}, ...}) of OBS's flat settings.
nlohmann::json document_of(obs_data_t* settings);
// Defaults, then the document; checked. Throws keyswap::Error naming the key.
pipeline::Settings settings_of(obs_data_t* settings);
// Writes a settings file's values (the same JSON `--settings` reads) into OBS's settings.
// Throws keyswap::Error naming the file and key; changes nothing then.
void load_file_into(obs_data_t* settings, const std::string& file);

}  // namespace keyswap::obs
