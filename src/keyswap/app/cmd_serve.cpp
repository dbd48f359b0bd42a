// keyswap serve [--input FILE|DEVICE|URL] [--host 127.0.0.1] [--port 8080]: the web control
// panel (app/panel/panel_server.hpp), with the page's files from web/.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>

#include "keyswap/app/command.hpp"
#include "keyswap/app/panel/panel_server.hpp"
#include "keyswap/app/schema_flags.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/pipeline/interrupt.hpp"

namespace keyswap::app {
namespace {

namespace fs = std::filesystem;

struct ServeArgs {
    panel::PanelOptions opt;
    std::vector<std::string> allow;
    std::string web_dir, settings_dir, settings_file;
    bool new_token = false;
    int max_upload_mb = 16;
    std::shared_ptr<FlagValues> flags = std::make_shared<FlagValues>();
};

// The installed page (PREFIX/share/keyswap/web next to PREFIX/bin), else the source tree's.
fs::path default_web_dir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed = exe.parent_path().parent_path() / "share" / "keyswap" / "web";
        if (fs::is_regular_file(installed / "index.html")) return installed;
    }
    return KEYSWAP_WEB_DIR;
}

fs::path default_settings_dir() {
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return fs::path(x) / "keyswap" / "panel";
    if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".config" / "keyswap" / "panel";
    return fs::current_path() / "keyswap-panel";
}

std::string random_token() {
    std::random_device rd;
    static const char* hex = "0123456789abcdef";
    std::string t;
    for (int i = 0; i < 32; ++i) t += hex[rd() % 16];
    return t;
}

void add_serve(CLI::App& app) {
    auto a = std::make_shared<ServeArgs>();
    auto* cmd = app.add_subcommand("serve", "Web control panel: tune the key and the swap on a live preview");
    cmd->add_option("-i,--input", a->opt.input, "File (played looped at its own rate), camera (/dev/video0) or stream URL");
    cmd->add_option("--host", a->opt.host, "Address to listen on (anything but 127.0.0.1 needs --token)");
    cmd->add_option("--port", a->opt.port, "Port (0 = any free one, printed)")->check(CLI::Range(0, 65535));
    cmd->add_option("--token", a->opt.token, "Every request must carry ?token=THIS (or X-Keyswap-Token)");
    cmd->add_flag("--new-token", a->new_token, "Generate a token and print the address with it");
    cmd->add_option("--allow", a->allow, "Folder that inputs and outputs named in the panel may be in (repeatable; default: the current folder and the input's)");
    cmd->add_option("--web-dir", a->web_dir, "The page's files (default: installed with keyswap)");
    cmd->add_option("--settings-dir", a->settings_dir, "Where the panel saves settings files (default ~/.config/keyswap/panel)");
    cmd->add_option("--max-upload-mb", a->max_upload_mb, "Largest photo upload in MB")->check(CLI::Range(1, 256));
    cmd->add_option("--settings", a->settings_file, "Starting settings (JSON, as keyswap process --settings)");
    add_schema_flags(cmd, pipeline::process_schema(), a->flags);
    cmd->callback([a] {
        auto& o = a->opt;
        o.max_upload_bytes = std::size_t(a->max_upload_mb) << 20;
        o.settings = pipeline::load_settings(a->settings_file, *a->flags);
        if (a->new_token && o.token.empty()) o.token = random_token();
        o.web_dir = a->web_dir.empty() ? default_web_dir() : fs::path(a->web_dir);
        if (!fs::is_regular_file(o.web_dir / "index.html"))
            fail(ErrorKind::Usage, "the panel's page is not there (give --web-dir)", (o.web_dir / "index.html").string());
        o.settings_dir = a->settings_dir.empty() ? default_settings_dir() : fs::path(a->settings_dir);
        for (const auto& d : a->allow) o.allowed.emplace_back(d);
        if (o.allowed.empty()) {
            o.allowed.push_back(fs::current_path());
            if (!o.input.empty() && fs::is_regular_file(o.input))
                o.allowed.push_back(fs::absolute(o.input).parent_path());
        }
        std::signal(SIGPIPE, SIG_IGN);  // a browser that goes away mid-stream is a write error, not our end
        panel::PanelServer server(o);
        const std::string shown_host = o.host == "0.0.0.0" ? "127.0.0.1" : o.host;
        std::printf("keyswap panel: http://%s:%d/%s\n", shown_host.c_str(), server.port(),
                    o.token.empty() ? "" : ("?token=" + o.token).c_str());
        std::fflush(stdout);
        pipeline::install_interrupt_handler();
        std::thread watcher([&server] {
            while (!pipeline::interrupt_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            server.stop();
        });
        server.run();
        pipeline::request_interrupt();  // the watcher ends too when the server stopped by itself
        watcher.join();
    });
}

const CommandRegistrar reg("serve", add_serve);

}  // namespace
}  // namespace keyswap::app
