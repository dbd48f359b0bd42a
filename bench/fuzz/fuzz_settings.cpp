// libFuzzer target: any bytes as a settings file, read by the schema core (core/schema.hpp,
// core/params.hpp: JSON parsing, groups, keys, types, ranges, choices, lists, optional
// stages). Must end in settings or one keyswap::Error: never a crash, a hang, another
// exception type or a sanitizer report. What loads must save and load back identically.
// The schema here has one row of every type and an optional stage, like process_schema(),
// without linking the stages (so the fuzz build stays small).
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

#include "keyswap/core/schema.hpp"

using namespace keyswap;

namespace {
enum class Mode { Auto, Manual, Off };
constexpr std::array<const char*, 3> kModeNames{"auto", "manual", "off"};
struct Stage {
    double softness = 0.5;
    int radius = 3;
    bool on = false;
    Mode mode = Mode::Auto;
    std::string colour = "#00ff00";
    std::string file;
    std::vector<std::string> rects;
};
struct Out {
    int crf = -1;
    std::string preset;
};
struct Root {
    std::optional<Stage> stage;
    Out out;
};
const ParamTable<Stage>& stage_params() {
    using T = ParamType;
    static const ParamTable<Stage> t("stage", {
        {"softness", "Softness", "h", &Stage::softness, T::Float, 0, 50, "px"},
        {"radius", "Radius", "h", &Stage::radius, T::Int, -50, 50, "px"},
        {"on", "On", "h", &Stage::on, T::Bool},
        {"mode", "Mode", "h", choice(&Stage::mode, kModeNames), T::Choice},
        {"colour", "Colour", "h", &Stage::colour, T::Color},
        {"file", "File", "h", &Stage::file, T::String, 0, 0, "", false},
        {"rects", "Rects", "h", &Stage::rects, T::StringList},
    });
    return t;
}
const ParamTable<Out>& out_params() {
    static const ParamTable<Out> t("out", {
        {"crf", "CRF", "h", &Out::crf, ParamType::Int, -1, 63},
        {"preset", "Preset", "h", &Out::preset, ParamType::String},
    });
    return t;
}
const Schema<Root>& schema() {
    static const Schema<Root> s = [] {
        Schema<Root> sc;
        sc.add_optional<Stage>("stage", "Stage", stage_params(), [](Root& r) -> std::optional<Stage>& { return r.stage; });
        sc.add<Out>("out", "Out", out_params(), [](Root& r) -> Out& { return r.out; });
        return sc;
    }();
    return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/tmp/keyswap-fuzz-settings-" + std::to_string(::getpid()) + ".json";
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    Root r;
    try {
        schema().load_file(r, path);
    } catch (const Error&) {
        return 0;
    }
    const auto doc = schema().to_json(r);
    Root back;
    schema().apply_json(back, doc);  // must not throw: what loaded is valid
    if (schema().to_json(back) != doc) __builtin_trap();
    return 0;
}
