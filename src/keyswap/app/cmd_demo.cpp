// keyswap demo: the product's main job on material scripts/setup installed.
#include <cstdio>
#include <filesystem>

#include "keyswap/app/command.hpp"
#include "keyswap/app/demo_scene.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/pipeline/interrupt.hpp"

namespace keyswap::app {
namespace {

namespace fs = std::filesystem;

struct DemoArgs {
    std::string out = "out";
    std::string cache = KEYSWAP_DEFAULT_CACHE;
    int frames = 90;
};

fs::path need(const fs::path& p) {
    if (!fs::exists(p)) fail(ErrorKind::Input, "demo material missing; run scripts/setup", p.string());
    return p;
}

void add_demo(CLI::App& app) {
    auto a = std::make_shared<DemoArgs>();
    auto* cmd = app.add_subcommand("demo", "Make the demo green-screen clip from setup's sample portraits");
    cmd->add_option("--out", a->out, "Folder for the demo's files");
    cmd->add_option("--cache", a->cache, "Where scripts/setup put the sample material");
    cmd->add_option("--frames", a->frames, "Length of the generated clip")->check(CLI::Range(1, 3000));
    cmd->callback([a] {
        pipeline::install_interrupt_handler();
        const fs::path demo = fs::path(a->cache) / "demo";
        const fs::path portrait = need(demo / "skimage" / "astronaut.png");  // before creating anything
        std::error_code ec;
        fs::create_directories(a->out, ec);
        if (ec || !fs::is_directory(a->out))
            fail(ErrorKind::Output, "cannot create the output folder (" + (ec ? ec.message() : "a file has that name") + ")", a->out);
        const fs::path scene = fs::path(a->out) / "green-screen-scene.mp4";
        DemoSceneOptions o;
        o.frames = a->frames;
        generate_green_screen_scene(portrait, scene, o);
        std::printf("%s\n", scene.string().c_str());
    });
}

const CommandRegistrar reg("demo", add_demo);

}  // namespace
}  // namespace keyswap::app
