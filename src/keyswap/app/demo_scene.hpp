#pragma once
// Generates the demo's green-screen clip from a portrait photo, so the demo needs nothing
// beyond what scripts/setup installs: the subject is cut out of the photo (GrabCut seeded
// with a head-and-shoulders frame), feathered, given green spill at its edge and moved
// gently over an unevenly lit, noisy green backdrop, then encoded as 4:2:0 H.264 like a
// camera would.
#include <filesystem>
#include <memory>

#include "keyswap/core/image.hpp"

namespace keyswap::app {

struct DemoSceneOptions {
    int width = 1280;
    int height = 720;
    int frames = 90;
    int fps = 30;
};

// Renders the scene's frames in memory (for the bench) or into a file (for the demo).
class SceneRenderer {
public:
    SceneRenderer(const std::filesystem::path& portrait, const DemoSceneOptions& options);
    ~SceneRenderer();
    void render(int index, Frame& out);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

void generate_green_screen_scene(const std::filesystem::path& portrait, const std::filesystem::path& out,
                                 const DemoSceneOptions& options = {});

}  // namespace keyswap::app
