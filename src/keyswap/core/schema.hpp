#pragma once
// The settings of a whole front end: its stages' parameter tables (core/params.hpp) as named
// groups over one settings struct `Root`.
//
// What this represents: e.g. `process`'s schema is the groups key, face, compose, output,
// encode and run over pipeline::Settings. From it come the command line's flags, settings
// files ({"key": {"softness": 2}, "encode": {"crf": 20}}), `keyswap settings` and the
// README's option reference. Keys are unique across a schema's groups (they are flags).
// A group may be an optional stage (std::optional<S> in Root): it is switched on by any of its
// keys, and a settings file holds it only when it is on.
//
// Errors: Error(Usage) naming the key (and, for files, the file); Root is left unchanged by a
// failed load_file/apply_json.
// Thread safety: immutable after construction; may be shared.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keyswap/core/params.hpp"

namespace keyswap {

template <class Root>
class Schema {
public:
    struct Group {
        std::string name;   // settings-file object name and `keyswap settings` group
        std::string title;  // heading in --help and the docs
        std::vector<ParamInfo> params;
        std::function<void(Root&, const std::string& key, const std::string& text)> set;
        std::function<void(Root&, const std::string& key, const nlohmann::json& value)> set_json;
        std::function<std::optional<nlohmann::json>(const Root&)> values;  // nullopt: the stage is off
        std::function<void(Root&)> enable;                                  // switches an optional stage on
    };

    // A group stored in `edit(root)`, always on.
    template <class S>
    Schema& add(std::string name, std::string title, const ParamTable<S>& table, std::function<S&(Root&)> edit) {
        Group g{std::move(name), std::move(title), table.info(), {}, {}, {}, [](Root&) {}};
        g.set = [&table, edit](Root& r, const std::string& k, const std::string& v) { table.set(edit(r), k, v); };
        g.set_json = [&table, edit](Root& r, const std::string& k, const nlohmann::json& v) { table.set_json(edit(r), k, v); };
        g.values = [&table, edit](const Root& r) -> std::optional<nlohmann::json> {
            return table.values(edit(const_cast<Root&>(r)));
        };
        groups_.push_back(std::move(g));
        return *this;
    }

    // An optional stage stored in `edit(root)`: any of its keys switches it on.
    template <class S>
    Schema& add_optional(std::string name, std::string title, const ParamTable<S>& table,
                         std::function<std::optional<S>&(Root&)> edit) {
        Group g{std::move(name), std::move(title), table.info(), {}, {}, {}, {}};
        auto on = [edit](Root& r) -> S& {
            auto& o = edit(r);
            if (!o) o.emplace();
            return *o;
        };
        g.set = [&table, on](Root& r, const std::string& k, const std::string& v) {
            Root tmp = r;  // a rejected value neither changes the setting nor switches the stage on
            table.set(on(tmp), k, v);
            r = std::move(tmp);
        };
        g.set_json = [&table, on](Root& r, const std::string& k, const nlohmann::json& v) {
            Root tmp = r;
            table.set_json(on(tmp), k, v);
            r = std::move(tmp);
        };
        g.enable = [on](Root& r) { on(r); };
        g.values = [&table, edit](const Root& r) -> std::optional<nlohmann::json> {
            const auto& o = edit(const_cast<Root&>(r));
            if (!o) return std::nullopt;
            return table.values(*o);
        };
        groups_.push_back(std::move(g));
        return *this;
    }

    const std::vector<Group>& groups() const { return groups_; }

    const Group* group_of(const std::string& key) const {
        for (auto& g : groups_)
            for (auto& p : g.params)
                if (p.key == key) return &g;
        return nullptr;
    }
    const ParamInfo* find(const std::string& key) const {
        for (auto& g : groups_)
            for (auto& p : g.params)
                if (p.key == key) return &p;
        return nullptr;
    }

    // One value as the command line gives it.
    void set(Root& r, const std::string& key, const std::string& text) const {
        const Group* g = group_of(key);
        if (!g) fail(ErrorKind::Usage, "unknown setting '" + key + "'");
        g->set(r, key, text);
    }
    void set_json(Root& r, const std::string& key, const nlohmann::json& v) const {
        const Group* g = group_of(key);
        if (!g) fail(ErrorKind::Usage, "unknown setting '" + key + "'");
        g->set_json(r, key, v);
    }

    // A settings document: {"keyswap-settings": 1, "<group>": {"<key>": value, ...}, ...}.
    void apply_json(Root& r, const nlohmann::json& doc) const {
        if (!doc.is_object()) fail(ErrorKind::Usage, "settings must be a JSON object of groups (" + group_names() + ")");
        Root tmp = r;
        for (auto& [name, obj] : doc.items()) {
            if (name == kVersionKey) {
                if (!obj.is_number_integer() || obj.template get<int>() != 1)
                    fail(ErrorKind::Usage, "unsupported settings version " + obj.dump() + " (this keyswap reads version 1)");
                continue;
            }
            const Group* g = nullptr;
            for (auto& gg : groups_)
                if (gg.name == name) g = &gg;
            if (!g) fail(ErrorKind::Usage, "unknown settings group '" + name + "' (expected " + group_names() + ")");
            if (!obj.is_object()) fail(ErrorKind::Usage, "settings group '" + name + "' must be a JSON object");
            g->enable(tmp);  // a group present in the file is on, even when empty
            for (auto& [key, v] : obj.items()) {
                bool known = false;
                for (auto& p : g->params) known = known || p.key == key;
                if (!known) fail(ErrorKind::Usage, "unknown setting '" + key + "' in group '" + name + "'");
                g->set_json(tmp, key, v);
            }
        }
        r = std::move(tmp);
    }

    // Reads a settings file into `r`. Throws Error(Usage) naming the file and the key.
    void load_file(Root& r, const std::filesystem::path& file) const {
        nlohmann::json doc;
        try {
            doc = read_json_file(file);
            apply_json(r, doc);
        } catch (const Error& e) {
            if (!e.path().empty()) throw;
            throw Error(e.kind(), e.detail(), file.string());
        }
    }

    // The settings document of `r`: every group that is on, with every value.
    nlohmann::json to_json(const Root& r) const {
        nlohmann::json doc = {{kVersionKey, 1}};
        for (auto& g : groups_)
            if (auto v = g.values(r)) doc[g.name] = *v;
        return doc;
    }

    // Every row with its group: what `keyswap settings --json` prints and the panel reads.
    nlohmann::json spec() const {
        nlohmann::json arr = nlohmann::json::array();
        for (auto& g : groups_)
            for (auto& p : g.params) {
                nlohmann::json j = param_spec(p);
                j["group"] = g.name;
                arr.push_back(std::move(j));
            }
        return arr;
    }

    std::string group_names() const {
        std::string out;
        for (auto& g : groups_) {
            if (!out.empty()) out.append(", ");
            out.append(g.name);
        }
        return out;
    }

    static constexpr const char* kVersionKey = "keyswap-settings";

private:
    static nlohmann::json read_json_file(const std::filesystem::path& file);
    std::vector<Group> groups_;
};

// Reads and parses a JSON file. Throws Error(Input) if unreadable, Error(Usage) naming the
// line and column if it is not JSON.
nlohmann::json read_json_file(const std::filesystem::path& file);

template <class Root>
nlohmann::json Schema<Root>::read_json_file(const std::filesystem::path& file) {
    return keyswap::read_json_file(file);
}

}  // namespace keyswap
