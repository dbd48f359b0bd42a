#include "keyswap/pipeline/frame_pass.hpp"

#include <cstdio>

#include <cctype>
#include <cmath>

#include <spdlog/spdlog.h>

#include "keyswap/core/error.hpp"
#include "keyswap/io/frames.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/matte/garbage.hpp"
#include "keyswap/pipeline/background.hpp"

namespace keyswap::pipeline {

const ParamTable<PassOptions>& pass_params() {
    static const ParamTable<PassOptions> t(
        "output",
        {
            {"alpha", "Alpha", "Alpha of transparent outputs: straight or premultiplied colour.", choice(&PassOptions::alpha, kAlphaModeNames),
             ParamType::Choice, 0, 0, "", false},
            {"background", "Background", "Composite over this: #RRGGBB, an image or a video (instead of writing alpha).",
             &PassOptions::background, ParamType::String, 0, 0, "", false},
            {"background-fit", "Background fit", "How a background of another size fills the frame.",
             choice(&PassOptions::background_fit, kBackgroundFitNames), ParamType::Choice, 0, 0, "", false},
            {"background-end", "Background end", "A background video shorter than the input loops or holds its last frame.",
             choice(&PassOptions::background_end, kBackgroundEndNames), ParamType::Choice, 0, 0, "", false},
            {"garbage-mask", "Garbage mask", "Mask image: white areas are always background.", &PassOptions::garbage_mask,
             ParamType::String, 0, 0, "", false},
            {"core-mask", "Core mask", "Mask image: white areas are always foreground.", &PassOptions::core_mask,
             ParamType::String, 0, 0, "", false},
            {"debug-matte", "Matte file", "Also write the matte alone: an image (first frame) or a printf pattern.",
             &PassOptions::debug_matte, ParamType::String, 0, 0, "", false},
        });
    return t;
}

namespace {

// The keyer stretches plates and masks to the frame: another aspect ratio means another shot
// (or camera), whose key would be wrong everywhere, so it is refused; another size is scaled.
void check_frame_image(const std::pair<int, int>& size, const std::string& what, const std::string& path, int w, int h) {
    if (path.empty() || size.first <= 0) return;
    const double a = double(size.first) / size.second, b = double(w) / h;
    if (std::abs(a - b) > 0.02 * b)
        fail(ErrorKind::Input,
             what + " is " + std::to_string(size.first) + "x" + std::to_string(size.second) + " but the input is " +
                 std::to_string(w) + "x" + std::to_string(h) + " (another aspect ratio); use one from the same camera and framing",
             path);
}

std::vector<face::SourceImage> load_sources(const std::vector<std::string>& paths) {
    std::vector<face::SourceImage> out;
    for (const auto& p : paths) out.push_back({p, io::read_image(p).rgba});
    return out;
}

}  // namespace

FramePass::FramePass(const PassConfig& config, ThreadPool& pool) : config_(config), pool_(pool) {
    // The matte file is written while frames run: a wrong format must fail before the first.
    if (const auto& dm = config_.options.debug_matte; !dm.empty() && !io::choose_output_format(dm, {}).still)
        fail(ErrorKind::Usage, "--debug-matte writes images: use .png, .webp, .tif or .jpg (or a pattern like matte_%04d.png)", dm);
    if (config_.keyer) {
        keyer_ = std::make_unique<matte::Keyer>(*config_.keyer);
        const std::string& key = config_.keyer->key;
        auto load = [](const std::string& path, std::pair<int, int>& size) {
            ImageU8 img = io::read_image(path).rgba;
            size = {img.width(), img.height()};
            return img;
        };
        if (key.rfind("plate:", 0) == 0) keyer_->set_plate(load(key.substr(6), plate_size_));
        if (!config_.options.garbage_mask.empty()) keyer_->set_garbage_mask(load(config_.options.garbage_mask, garbage_size_));
        if (!config_.options.core_mask.empty()) keyer_->set_core_mask(load(config_.options.core_mask, core_size_));
    } else if (!config_.options.garbage_mask.empty() || !config_.options.core_mask.empty()) {
        fail(ErrorKind::Usage, "--garbage-mask and --core-mask need keying (--key)");
    }
    if (config_.face) {
        if (config_.face->source.empty()) fail(ErrorKind::Usage, "face swap needs at least one --source photo");
        const auto sources = load_sources(config_.face->source);
        std::optional<ImageU8> reference;
        if (!config_.face->reference.empty()) reference = io::read_image(config_.face->reference).rgba;
        swapper_ = std::make_unique<face::FaceSwapper>(*config_.face, sources, reference ? &*reference : nullptr);
        for (const auto& note : swapper_->library().notes()) std::fprintf(stderr, "keyswap: %s\n", note.c_str());
    }
    if (!config_.options.background.empty())
        background_ = std::make_unique<Background>(config_.options.background, config_.options.background_fit,
                                                   config_.options.background_end);
}

FramePass::~FramePass() = default;

std::vector<std::filesystem::path> FramePass::input_files() const {
    std::vector<std::filesystem::path> out;
    if (config_.keyer && config_.keyer->key.rfind("plate:", 0) == 0) out.emplace_back(config_.keyer->key.substr(6));
    for (const auto* p : {&config_.options.garbage_mask, &config_.options.core_mask})
        if (!p->empty()) out.emplace_back(*p);
    if (config_.face) {
        for (const auto& s : config_.face->source) out.emplace_back(s);
        if (!config_.face->reference.empty()) out.emplace_back(config_.face->reference);
    }
    if (background_ && !background_->is_color()) out.emplace_back(config_.options.background);
    return out;
}

std::vector<std::filesystem::path> FramePass::output_files() const {
    if (config_.options.debug_matte.empty()) return {};
    return {config_.options.debug_matte};
}

bool FramePass::makes_transparency(bool input_has_alpha) const {
    return !background_ && (keyer_ || input_has_alpha);
}

void FramePass::start(const io::MediaInfo& input, const io::OutputFormat& output) {
    if (keyer_ && !background_ && !output.alpha)
        fail(ErrorKind::Usage,
             "the keyed result is transparent but " + output.extension + " (" + output.codec_key +
                 ") has no alpha channel; write .webm, .mov, .mkv, .png or .webp, or give --background");
    if (keyer_ && input.width > 0 && input.height > 0) {
        const int w = input.width, h = input.height;
        if (config_.keyer->key.rfind("plate:", 0) == 0)
            check_frame_image(plate_size_, "the clean plate", config_.keyer->key.substr(6), w, h);
        check_frame_image(garbage_size_, "the garbage mask", config_.options.garbage_mask, w, h);
        check_frame_image(core_size_, "the core mask", config_.options.core_mask, w, h);
        // A rectangle wholly outside the frame does nothing: most likely coordinates for
        // another resolution, which the user would not notice in the result.
        for (const auto* list : {&config_.keyer->garbage, &config_.keyer->core})
            for (const auto& text : *list) {
                const char* key = list == &config_.keyer->garbage ? "garbage" : "core";
                const matte::Rect r = matte::parse_rect(text, key);
                if (r.x >= w || r.y >= h)
                    fail(ErrorKind::Usage, "--" + std::string(key) + " " + text + " lies outside the " + std::to_string(w) +
                                               "x" + std::to_string(h) + " frame (x,y,w,h in pixels of the input)",
                         input.path);
            }
    }
    if (!config_.options.debug_matte.empty() && !keyer_ && !input.has_alpha)
        spdlog::warn("keyswap: --debug-matte is not written: there is no matte (no keying, and the input has no alpha)");
    // Keying is opt-in (a face swap alone must not key a green wall away), so a green-screen
    // clip run with only --background comes out unchanged; say why rather than leave the user
    // to find it in the result.
    if (!config_.options.background.empty() && !keyer_ && !input.has_alpha)
        spdlog::warn("keyswap: --background shows nowhere: the input has no alpha and keying is off (add --key auto)");
    if (config_.options.alpha == AlphaMode::Premultiplied && !makes_transparency(input.has_alpha))
        fail(ErrorKind::Usage, "--alpha premultiplied needs a transparent result (keying or an input with alpha, no --background)");
}

void FramePass::follow(std::shared_ptr<const PassSlot> slot) {
    slot_ = std::move(slot);
    slot_seen_ = 0;
}

std::vector<std::string> FramePass::update(const PassConfig& requested) {
    PassConfig next = requested;
    std::vector<std::string> refused;
    auto refuse = [&](const std::string& what) { refused.push_back(what + " cannot change while running; kept as it was"); };
    auto keep = [&](const auto& table, auto& n, const auto& cur) {
        for (const auto& key : table.keep_fixed(n, cur)) refuse("--" + key);
    };
    // Validate everything before changing anything: the update is all or nothing.
    if (next.keyer.has_value() != config_.keyer.has_value()) {
        refuse(config_.keyer ? "switching keying off" : "switching keying on");
        next.keyer = config_.keyer;
    }
    if (next.face.has_value() != config_.face.has_value()) {
        refuse(config_.face ? "switching the face swap off" : "switching the face swap on");
        next.face = config_.face;
    }
    if (next.keyer) {
        const bool was_plate = config_.keyer->key.rfind("plate:", 0) == 0, is_plate = next.keyer->key.rfind("plate:", 0) == 0;
        if ((was_plate || is_plate) && next.keyer->key != config_.keyer->key) {
            refuse("--key plate:FILE");
            next.keyer->key = config_.keyer->key;
        }
        keep(matte::keyer_params(), *next.keyer, *config_.keyer);
        matte::Keyer::validate(*next.keyer);
    }
    if (next.face) {
        keep(face::face_params(), *next.face, *config_.face);
        face::face_params().validate(*next.face);
    }
    keep(compose::compose_params(), next.compose, config_.compose);
    compose::compose_params().validate(next.compose);
    keep(pass_params(), next.options, config_.options);
    // Face first: its update may still refuse (e.g. --faces reference without a reference
    // photo); the keyer's cannot fail after validate().
    if (swapper_) swapper_->update(*next.face);
    if (keyer_) keyer_->update(*next.keyer);
    config_ = std::move(next);
    return refused;
}

void FramePass::set_output_offset(std::int64_t frames) {
    output_offset_ = frames;
    if (background_) background_->skip(frames);
}

void FramePass::prime(const Frame& first) {
    if (keyer_) keyer_->take_screen_from(first);
}

void FramePass::process(Frame& frame) {
    if (slot_) {
        if (auto snap = slot_->take_if_newer(slot_seen_)) {
            try {
                for (const auto& line : update(*snap)) spdlog::warn("keyswap: settings: {}", line);
            } catch (const Error& e) {
                spdlog::warn("keyswap: settings not applied: {}", e.what());
            }
        }
    }
    const int w = frame.rgba.width(), h = frame.rgba.height();
    const ImageF32* matte = nullptr;
    if (keyer_) {
        keyer_->process(frame, matte_, pool_, &times_);
        matte = &matte_;
        if (summary_.screen.empty()) summary_.screen = keyer_->report().description;
    } else if (frame.has_alpha && (swapper_ || !config_.options.debug_matte.empty())) {
        // A transparent input (an earlier keyed run) guides the swap with its own alpha; the
        // compositor reads that alpha from the frame itself, so nothing else needs the copy.
        Stopwatch sw;
        matte_.reshape(w, h, 1);
        pool_.parallel_rows(h, [&](int y0, int y1) {
            for (int y = y0; y < y1; ++y) {
                const std::uint8_t* s = frame.rgba.row(y);
                float* d = matte_.row(y);
                for (int x = 0; x < w; ++x) d[x] = s[x * 4 + 3] * (1.0f / 255.0f);
            }
        });
        matte = &matte_;
        times_.add("key.alpha-in", sw.ms());
    }
    if (swapper_) {
        const auto r = swapper_->process(frame, matte, pool_, &times_);
        for (const auto& note : swapper_->take_notes()) std::fprintf(stderr, "keyswap: %s\n", note.c_str());
        if (r.found > 0 && !frame.warm_up) ++summary_.frames_with_faces;
        if (!frame.warm_up) summary_.faces_swapped += r.swapped;
    }
    if (frame.warm_up) return;
    if (!config_.options.debug_matte.empty() && matte) {
        const std::string& pattern = config_.options.debug_matte;
        const bool per_frame = io::is_frame_pattern(pattern);
        if (per_frame || (summary_.frames == 0 && output_offset_ == 0)) {
            Frame m;
            m.rgba.reshape(w, h, 4);
            for (int y = 0; y < h; ++y) {
                const float* a = matte->row(y);
                std::uint8_t* d = m.rgba.row(y);
                for (int x = 0; x < w; ++x) {
                    const auto v = static_cast<std::uint8_t>(a[x] * 255.0f + 0.5f);
                    d[x * 4] = d[x * 4 + 1] = d[x * 4 + 2] = v;
                    d[x * 4 + 3] = 255;
                }
            }
            io::write_image(per_frame ? io::expand_frame_pattern(pattern, frame.index + output_offset_) : pattern, m);
        }
    }
    Stopwatch sw;
    if (background_) {
        const ImageU8& bg = background_->next(w, h);
        compose::composite_over(frame.rgba.view(), bg.view(), frame.rgba.view(), config_.compose, pool_);
        frame.has_alpha = false;
        times_.add("compose", sw.ms());
    } else if (config_.options.alpha == AlphaMode::Premultiplied) {
        compose::premultiply(frame.rgba.view(), pool_);
        times_.add("compose", sw.ms());
    }
    ++summary_.frames;
}

}  // namespace keyswap::pipeline
