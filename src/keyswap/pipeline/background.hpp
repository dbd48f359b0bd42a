#pragma once
// The new background behind a keyed subject: a colour, an image, or a video, delivered as
// an RGBA8 buffer of the frame's size. Images are scaled once (cover: fill and crop the
// centre; fit: letterbox on black); videos are decoded alongside the input and either loop
// or hold their last frame when they are shorter.
// Thread safety: one thread (the pass thread).
#include <array>
#include <filesystem>
#include <memory>
#include <string>

#include "keyswap/core/image.hpp"
#include "keyswap/io/media_reader.hpp"

namespace keyswap::pipeline {

// How a background of another size fills the frame.
enum class BackgroundFit { Cover, Fit, Stretch };
inline constexpr std::array<const char*, 3> kBackgroundFitNames{"cover", "fit", "stretch"};
// What a background video shorter than the input does at its end.
enum class BackgroundEnd { Loop, Hold };
inline constexpr std::array<const char*, 2> kBackgroundEndNames{"loop", "hold"};

class Background {
public:
    // `spec` is "#RRGGBB" (or a colour name) or a file path. Throws Error(Input/Usage).
    Background(const std::string& spec, BackgroundFit fit, BackgroundEnd end);
    ~Background();

    // The background for the next output frame, scaled to width x height.
    const ImageU8& next(int width, int height);
    // Moves a video background on by `frames` output frames (a chunk that starts mid-way, as
    // the whole run would reach it); a still has nothing to move.
    void skip(std::int64_t frames);
    bool is_video() const { return reader_ != nullptr; }
    bool is_color() const { return is_color_; }

private:
    void advance();  // decodes the next video frame (looping or holding at the end)

    std::string spec_;
    BackgroundFit fit_;
    BackgroundEnd end_;
    bool is_color_ = false;
    std::uint8_t rgb_[3] = {0, 0, 0};
    std::unique_ptr<io::MediaReader> reader_;
    Frame decoded_;
    bool have_decoded_ = false;
    bool scaled_valid_ = false;  // a still (colour or image) is scaled once
    ImageU8 scaled_;
};

// Scales `src` (RGBA8) into `dst` (RGBA8, dst_w x dst_h) as cover, fit or stretch.
void scale_rgba(const ImageU8& src, ImageU8& dst, int dst_w, int dst_h, BackgroundFit fit);

}  // namespace keyswap::pipeline
