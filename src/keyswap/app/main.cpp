// keyswap: the command line front end. Thin: every subcommand calls libkeyswap.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "keyswap/app/command.hpp"
#include "keyswap/core/error.hpp"

namespace keyswap::app {
std::vector<CommandEntry>& command_registry() {
    static std::vector<CommandEntry> r;
    return r;
}
}  // namespace keyswap::app

int main(int argc, char** argv) {
    using namespace keyswap;
    // Warnings are diagnostics: stderr, so stdout stays the command's output (JSON, lists).
    spdlog::set_default_logger(spdlog::stderr_logger_mt("keyswap"));
    spdlog::set_pattern("%v");
    spdlog::set_level(spdlog::level::warn);
    CLI::App app{"keyswap: green-screen keying and face swap in one pass"};
    app.set_version_flag("--version", std::string("keyswap ") + KEYSWAP_VERSION);
    app.require_subcommand(1);
    auto& reg = app::command_registry();
    std::sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.name < b.name; });
    for (auto& c : reg) c.add(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "keyswap: " << e.what() << " (see keyswap --help)\n";
        return 2;
    } catch (const Error& e) {
        std::cerr << "keyswap: " << e.what() << "\n";
        return e.exit_code();
    } catch (const std::bad_alloc&) {
        std::cerr << "keyswap: out of memory\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "keyswap: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
