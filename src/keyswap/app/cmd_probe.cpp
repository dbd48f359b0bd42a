// keyswap probe INPUT [--json]: what keyswap sees in a file.
#include <iostream>

#include "keyswap/app/command.hpp"
#include "keyswap/io/media_reader.hpp"

namespace keyswap::app {
namespace {

struct ProbeArgs {
    std::string input;
    bool json = false;
    bool count = false;
};

void add_probe(CLI::App& app) {
    auto args = std::make_shared<ProbeArgs>();
    auto* cmd = app.add_subcommand("probe", "Print size, frame rate, frames, codecs, alpha and audio of an input");
    cmd->add_option("input", args->input, "Video, image or image sequence (printf pattern)")->required();
    cmd->add_flag("--json", args->json, "Print JSON instead of text");
    cmd->add_flag("--count", args->count, "Count frames by decoding (exact for any container)");
    cmd->callback([args] {
        const auto info = io::probe(args->input, args->count);
        if (args->json) std::cout << info.to_json().dump(2) << "\n";
        else std::cout << info.to_text();
    });
}

const CommandRegistrar reg("probe", add_probe);

}  // namespace
}  // namespace keyswap::app
