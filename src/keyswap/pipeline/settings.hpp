#pragma once
// Everything `keyswap process` (and live mode) can be told, as one value, and its schema.
//
// What this represents: `Settings` is the whole configuration of a run: the fused pass's
// stages (PassConfig: keying, face swap, compositing, output), the encoder's options and the
// run's own (frame range, audio, threads, progress). `process_schema()` lists them as the
// groups key, face, compose, output, encode and run, each generated from its stage's table,
// so the command line, settings files, `keyswap settings` and the README come from one place.
//
// Live updates: a front end holds a `std::shared_ptr<const PassSlot>` (frame_pass.hpp),
// hands it to FramePass::follow(), and publishes a new `PassConfig` built by `load_settings`
// (or by editing a copy of the current one and calling `check_settings`) whenever the user
// changes something. `SettingsFileWatcher` does that for a settings file.
// Thread safety: values; the schema is immutable.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "keyswap/core/file_watcher.hpp"
#include "keyswap/core/schema.hpp"
#include "keyswap/infer/onnx_model.hpp"
#include "keyswap/io/output_format.hpp"
#include "keyswap/pipeline/frame_pass.hpp"

namespace keyswap::pipeline {

struct RunOptions {
    std::string frames;     // "A-B", "A-" or "N" (io/frames.hpp); "" = all
    bool no_audio = false;  // do not carry the input's audio
    int threads = 0;        // worker threads, 0 = all cores
    bool quiet = false;     // no progress display
    infer::Provider provider = infer::Provider::Cpu;  // where ONNX models run (set before the pass is built)
};

// Keys: "frames", "no-audio", "threads", "quiet", "execution-provider".
const ParamTable<RunOptions>& run_params();

struct Settings {
    PassConfig pass;
    io::EncodeOptions encode;
    RunOptions run;
};

const Schema<Settings>& process_schema();

// Checks what one row cannot: rules between settings (clip-black below clip-white), the
// key's and rectangles' syntax, the frame range. Throws Error(Usage) naming the setting.
void check_settings(const Settings& s);

// Builds settings as the command line does: defaults, then the settings `file` (if not
// empty), then `overrides` (key, values) in order (a list key's values replace the file's
// list). Checked with check_settings. Throws Error(Usage) naming the key (and the file).
using Overrides = std::vector<std::pair<std::string, std::vector<std::string>>>;
Settings load_settings(const std::filesystem::path& file, const Overrides& overrides = {});

// Writes `s` as a settings file (pretty JSON, only the stages that are on). Throws Error(Output).
void save_settings(const Settings& s, const std::filesystem::path& file);

// `--watch`: reloads `file` (with the same command-line overrides on top) when it changes and
// publishes the new pass settings to `slot`; a bad file is reported through `report` and the
// last good settings stay. Starts polling on construction; stops on destruction.
class SettingsFileWatcher {
public:
    SettingsFileWatcher(std::filesystem::path file, Overrides overrides, std::shared_ptr<PassSlot> slot,
                        FileWatcher::Report report, bool start_thread = true);
    bool poll() { return watcher_.poll(); }  // for tests and single-threaded front ends
    int reloads() const { return watcher_.reloads(); }

private:
    FileWatcher watcher_;
};

}  // namespace keyswap::pipeline
