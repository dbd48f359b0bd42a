#pragma once
// Self-registering CLI subcommands: each app/cmd_*.cpp adds one with a static
// `CommandRegistrar`, so adding a subcommand touches only its own file.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace keyswap::app {

struct CommandEntry {
    std::string name;
    std::function<void(CLI::App&)> add;  // adds the subcommand (and its callback) to the app
};

std::vector<CommandEntry>& command_registry();

struct CommandRegistrar {
    CommandRegistrar(std::string name, std::function<void(CLI::App&)> add) {
        command_registry().push_back({std::move(name), std::move(add)});
    }
};

}  // namespace keyswap::app
