#pragma once
// The screen colour: which backdrop the keyer removes, and how a pixel's "screen saturation"
// (the colour difference) is measured against it.
//
// What this represents: `KeySpec` is the parsed `key` setting; `ScreenColour` is one backdrop
// colour plus the colour-difference weights derived from it once (Keylight/IBK idea: primary
// channel minus a balanced mix of the other two), so kernels only do a dot product.
// Thread safety: plain values and pure functions.
#include <array>
#include <optional>
#include <string>

#include "keyswap/core/image.hpp"

namespace keyswap::matte {

struct KeySpec {
    enum class Mode { Auto, Colour, Plate, Ai } mode = Mode::Auto;
    std::array<float, 3> rgb{};  // Mode::Colour: the requested colour, 0..255
    std::string plate_path;      // Mode::Plate: the file the app should load
    std::string model_path;      // Mode::Ai: the portrait matting model (ONNX) the keyer loads
};

// Parses "auto", "green", "blue", "#RRGGBB", "plate:FILE" or "ai:FILE". Throws Error(Usage)
// otherwise.
KeySpec parse_key(const std::string& key);

struct ScreenColour {
    std::array<float, 3> rgb{};      // 0..255
    int primary = 1;                 // the screen's dominant channel (1 = green)
    std::array<float, 3> weights{};  // colour difference D(x) = weights . x
    float coverage = 0.f;            // fraction of the frame that looks like this screen

    // requires: 0 <= balance <= 1. Sets primary and weights from rgb.
    void derive(double balance);
    float difference(float r, float g, float b) const { return weights[0] * r + weights[1] * g + weights[2] * b; }
};

// Hexcone hue of an RGB colour in [0, 6) (0 red, 2 green, 4 blue); 0 for greys.
float hue6(float r, float g, float b);

// Finds the dominant saturated backdrop colour of an RGBA frame from a subsample of its pixels.
// With `near_hue` (0..6) only colours within 1 sextant-quarter of that hue are considered.
// ensures: nullopt when no saturated colour covers at least `min_coverage` of the frame.
std::optional<ScreenColour> find_screen(ImageView<const std::uint8_t> rgba, double balance,
                                        std::optional<float> near_hue = std::nullopt,
                                        float min_coverage = 0.05f);

// "green screen #3FB04A (64% of frame)".
std::string describe(const ScreenColour& s);

}  // namespace keyswap::matte
