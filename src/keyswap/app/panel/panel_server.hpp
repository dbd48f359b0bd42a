#pragma once
// `keyswap serve`: the web control panel's HTTP side (cpp-httplib). It serves the page's files
// from web/, the preview as MJPEG, and a small JSON API over one PreviewEngine (settings from
// the schema, source faces, the reference face, input, live outputs, file jobs, stats).
//
// Safety: binds to 127.0.0.1 unless told otherwise, and then every request must carry the
// token (?token= or the X-Keyswap-Token header); uploads are limited in size and type and kept
// in a private temporary folder; a path in a request is only opened inside the allowed folders;
// a malformed request gets a 4xx and a one-line message. Thread safety: one server per object;
// stop() may be called from any thread.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "keyswap/pipeline/settings.hpp"

namespace keyswap::app::panel {

struct PanelOptions {
    std::string input;                          // what the preview plays first
    std::string host = "127.0.0.1";
    int port = 8080;                            // 0 = any free port (tests)
    std::string token;                          // required when not empty
    std::filesystem::path web_dir;              // index.html, panel.js, panel.css
    std::vector<std::filesystem::path> allowed; // folders request paths may name (inputs, outputs)
    std::filesystem::path settings_dir;         // where "save" and "load" keep settings files
    std::size_t max_upload_bytes = 16u << 20;
    pipeline::Settings settings;                // the starting settings
};

// Whether `path` lies inside one of `folders` (after resolving "..", "." and symbolic links
// of the parts that exist).
bool inside_allowed(const std::filesystem::path& path, const std::vector<std::filesystem::path>& folders);

// A settings file name from a request: letters, digits, '-', '_' and '.', no leading dot,
// ".json" added when missing; "" when the name is not acceptable.
std::string settings_file_name(const std::string& requested);

class PanelServer {
public:
    // Opens the input (throws its Error) and binds (throws Error(Usage) when the port is taken
    // or a non-local host has no token).
    explicit PanelServer(PanelOptions options);
    ~PanelServer();
    PanelServer(const PanelServer&) = delete;
    PanelServer& operator=(const PanelServer&) = delete;

    int port() const;
    void run();   // serves until stop()
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace keyswap::app::panel
