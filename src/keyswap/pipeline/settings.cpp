#include "keyswap/pipeline/settings.hpp"

#include <fstream>

#include "keyswap/core/atomic_file.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/io/frames.hpp"

namespace keyswap::pipeline {

const ParamTable<RunOptions>& run_params() {
    using S = RunOptions;
    using T = ParamType;
    static const ParamTable<S> t("run", {
        {"frames", "Frames", "Frame range A-B (0-based, inclusive), A- or N.", &S::frames, T::String, 0, 0, "", false},
        {"no-audio", "No audio", "Do not carry the input's audio.", &S::no_audio, T::Bool, 0, 0, "", false},
        {"threads", "Threads", "Worker threads (0 = all cores).", &S::threads, T::Int, 0, 256, "", false},
        {"quiet", "Quiet", "No progress display.", &S::quiet, T::Bool, 0, 0, "", false},
        {"execution-provider", "Execution provider",
         "Where the ONNX models run: cpu, or cuda, tensorrt or openvino where this ONNX Runtime has them.",
         choice(&S::provider, infer::kProviderNames), T::Choice, 0, 0, "", false},
    });
    return t;
}

const Schema<Settings>& process_schema() {
    static const Schema<Settings> s = [] {
        Schema<Settings> sc;
        sc.add_optional<matte::KeyerSettings>("key", "Keying", matte::keyer_params(),
                                              [](Settings& r) -> std::optional<matte::KeyerSettings>& { return r.pass.keyer; });
        sc.add_optional<face::FaceSettings>("face", "Face swap", face::face_params(),
                                            [](Settings& r) -> std::optional<face::FaceSettings>& { return r.pass.face; });
        sc.add<compose::ComposeSettings>("compose", "Compositing", compose::compose_params(),
                                         [](Settings& r) -> compose::ComposeSettings& { return r.pass.compose; });
        sc.add<PassOptions>("output", "Output", pass_params(), [](Settings& r) -> PassOptions& { return r.pass.options; });
        sc.add<io::EncodeOptions>("encode", "Encoding", io::encode_params(), [](Settings& r) -> io::EncodeOptions& { return r.encode; });
        sc.add<RunOptions>("run", "Run", run_params(), [](Settings& r) -> RunOptions& { return r.run; });
        return sc;
    }();
    return s;
}

void check_settings(const Settings& s) {
    if (s.pass.keyer) matte::Keyer::validate(*s.pass.keyer);
    if (s.pass.face) face::face_params().validate(*s.pass.face);
    (void)io::parse_frame_range(s.run.frames);
}

Settings load_settings(const std::filesystem::path& file, const Overrides& overrides) {
    const auto& schema = process_schema();
    Settings s;
    if (!file.empty()) {
        schema.load_file(s, file);
        try {
            check_settings(s);
        } catch (const Error& e) {
            throw Error(e.kind(), e.detail(), file.string());
        }
    }
    for (const auto& [key, values] : overrides) {
        const ParamInfo* p = schema.find(key);
        if (!p) fail(ErrorKind::Usage, "unknown setting '" + key + "'");
        if (p->type == ParamType::StringList) {
            schema.set_json(s, key, nlohmann::json(values));
        } else {
            for (const auto& v : values) schema.set(s, key, v);
        }
    }
    check_settings(s);
    return s;
}

void save_settings(const Settings& s, const std::filesystem::path& file) {
    const std::string text = process_schema().to_json(s).dump(2) + "\n";
    write_file_atomically(file, text, "the settings file");  // a watcher never reads half a file
}

SettingsFileWatcher::SettingsFileWatcher(std::filesystem::path file, Overrides overrides, std::shared_ptr<PassSlot> slot,
                                         FileWatcher::Report report, bool start_thread)
    : watcher_(
          file,
          [overrides = std::move(overrides), slot](const std::filesystem::path& f) {
              Settings s = load_settings(f, overrides);  // throws on a bad file: nothing is published
              slot->publish(std::make_shared<const PassConfig>(std::move(s.pass)));
          },
          std::move(report)) {
    if (start_thread) watcher_.start();
}

}  // namespace keyswap::pipeline
