#pragma once
// Generates the demo's green-screen clip from a portrait photo, so the demo needs nothing
// beyond what scripts/setup installs: the subject is cut out of the photo (GrabCut seeded
// with a head-and-shoulders frame), feathered, given green spill at its edge and moved
// gently over an unevenly lit, noisy green backdrop, then encoded as 4:2:0 H.264 like a
// camera would.
#include <filesystem>

namespace keyswap::app {

struct DemoSceneOptions {
    int width = 1280;
    int height = 720;
    int frames = 90;
    int fps = 30;
};

void generate_green_screen_scene(const std::filesystem::path& portrait, const std::filesystem::path& out,
                                 const DemoSceneOptions& options = {});

}  // namespace keyswap::app
