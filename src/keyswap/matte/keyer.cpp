#include "keyswap/matte/keyer.hpp"

#include <opencv2/imgproc.hpp>

#include <atomic>
#include <optional>
#include <sstream>
#include <variant>

#include "keyswap/core/error.hpp"
#include "keyswap/matte/ai_matte.hpp"
#include "keyswap/matte/chroma_restore.hpp"
#include "keyswap/matte/colour_difference.hpp"
#include "keyswap/matte/despill.hpp"
#include "keyswap/matte/garbage.hpp"
#include "keyswap/matte/guided_filter.hpp"
#include "keyswap/matte/matte_shape.hpp"
#include "keyswap/matte/row_kernels.hpp"
#include "keyswap/matte/screen_colour.hpp"
#include "keyswap/matte/screen_field.hpp"
#include "keyswap/matte/temporal.hpp"

namespace keyswap::matte {
namespace {

// Range checks (from the table) for settings built in code rather than parsed through it.
void validate_ranges(const KeyerSettings& s) {
    keyer_params().validate(s);
    if (s.clip_black >= s.clip_white) fail(ErrorKind::Usage, "--clip-black must be below --clip-white");
}

// One set of row buffers per pool task, handed out in turn inside each parallel_rows call so
// the hot path never allocates.
class TaskScratch {
public:
    void ensure(int tasks, std::size_t floats) {
        if (int(bufs_.size()) < tasks) bufs_.resize(tasks);
        for (auto& b : bufs_)
            if (b.size() < floats) b.assign(floats, 0.f);
    }
    void rewind() { next_.store(0, std::memory_order_relaxed); }
    float* acquire() { return bufs_[next_.fetch_add(1, std::memory_order_relaxed) % bufs_.size()].data(); }

private:
    std::vector<std::vector<float>> bufs_;
    std::atomic<int> next_{0};
};

// A low-resolution block of the matte counts as clear backdrop (so its neighbourhood gets the
// clip-black point) at a mean matte up to kClearBlock, fading out by kClearBlock + kClearFade.
// Measured on the benchmark scenes at 1920x1080 (docs/bench-keyer.md): 0.02 left the folded
// backdrop of the hair scene with a faint veil (alpha SAD 11.3 against 7.8 at 0.05); green and
// fabric are the same to 1%, and a 20% chiffon panel (block mean ~0.17) keeps its alpha.
constexpr float kClearBlock = 0.05f, kClearFade = 0.05f;
// The foreground solve's prior (FinishRow::prior_rho): a soft pixel of alpha a keeps
// a^2 / (a^2 + rho) of its own unmixed colour, the rest from the solid foreground next to it.
// Measured at 1920x1080 on the six benchmark scenes (docs/bench-keyer.md, stop 21): 0.02-0.05
// lower the edge composite error on the portraits by 0.6-1 %; 0.03 is the largest that also
// leaves hair no worse (its strands' own colour is far from the head's mean at 0.1 and above).
constexpr float kColourPriorRho = 0.03f;
// Float rows per task: image and screen colour rows (plate mode and the finish use them).
constexpr int kRows = 6;

}  // namespace

struct Keyer::Impl {
    KeyerSettings s;
    KeySpec spec;
    MatteLevels levels;        // clip black and white
    MatteLevels white_levels;  // clip white only (the refined path applies black locally)
    DespillParams despill;
    TemporalParams temporal;
    RegionMatte garbage, core;
    MatteShape shape;
    FastGuidedFilter guided;
    ScreenField field;
    ChromaRestorer restorer;
    std::optional<ScreenColour> screen;  // per clip; cleared by reset() and key changes
    KeyReport report;
    ImageU8 plate_source, plate;         // plate: as given, and RGBA at frame size
    std::unique_ptr<AiMatte> ai;         // ai: the model, loaded when the key names it
    Image<std::uint16_t> prev;           // previous output matte, 1/65535 steps
    bool has_prev = false;
    TaskScratch scratch;

    void configure(const KeyerSettings& n) {
        validate_ranges(n);
        KeySpec k = parse_key(n.key);
        std::unique_ptr<AiMatte> model;
        if (k.mode == KeySpec::Mode::Ai && (!ai || n.key != s.key)) model = std::make_unique<AiMatte>(k.model_path);
        std::vector<Rect> g, c;
        for (auto& t : n.garbage) g.push_back(parse_rect(t, "garbage"));
        for (auto& t : n.core) c.push_back(parse_rect(t, "core"));
        // Everything validated: commit.
        if (n.key != s.key || n.balance != s.balance) screen.reset();
        s = n;
        spec = std::move(k);
        if (model) ai = std::move(model);
        if (spec.mode != KeySpec::Mode::Ai) ai.reset();
        garbage.set_rects(std::move(g));
        core.set_rects(std::move(c));
        levels = MatteLevels::from_clips(s.clip_black, s.clip_white);
        white_levels = MatteLevels::from_clips(0.0, s.clip_white);
        despill = {float(s.despill), float(s.despill_balance), float(s.luma_restore)};
        temporal = {float(s.temporal), float(1.0 / s.temporal_threshold)};
        shape.configure(s.shrink_grow, s.softness);
        field.set_foreground_prior(s.foreground_prior);
    }

    void find_screen_colour(const Frame& frame) {
        if (spec.mode == KeySpec::Mode::Ai) {
            report = {true, {}, ai->description()};
            return;
        }
        if (spec.mode == KeySpec::Mode::Plate) {
            report = {true, {}, "clean plate " + std::to_string(plate_source.width()) + "x" + std::to_string(plate_source.height())};
            return;
        }
        if (screen) return;
        const auto view = frame.rgba.view();
        if (spec.mode == KeySpec::Mode::Auto) {
            screen = find_screen(view, s.balance);
            if (!screen)
                fail(ErrorKind::Input,
                     "no green or blue backdrop found in the frame (no saturated colour covers 5% of it); "
                     "key against a photo of the empty backdrop with --key plate:FILE, or name the screen colour with --key #RRGGBB");
        } else {
            screen = find_screen(view, s.balance, hue6(spec.rgb[0], spec.rgb[1], spec.rgb[2]), 0.005f);
            if (!screen) {  // the requested colour is absent: key against it as given
                screen.emplace();
                screen->rgb = spec.rgb;
                screen->derive(s.balance);
            }
        }
        const auto& c = screen->rgb;
        report = {true, {to_u8(c[0]), to_u8(c[1]), to_u8(c[2])}, describe(*screen)};
    }

    void prepare_plate(int w, int h) {
        if (plate_source.empty())
            fail(ErrorKind::Input, "--key " + s.key + ": no plate image was loaded (Keyer::set_plate was not called)");
        if (plate.width() == w && plate.height() == h) return;
        cv::Mat src;
        const int ch = plate_source.channels();
        cv::Mat in(plate_source.height(), plate_source.width(), CV_8UC(ch), plate_source.data());
        if (ch == 1) cv::cvtColor(in, src, cv::COLOR_GRAY2RGBA);
        else if (ch == 3) cv::cvtColor(in, src, cv::COLOR_RGB2RGBA);
        else src = in;
        plate.reshape(w, h, 4);
        cv::Mat dst(h, w, CV_8UC4, plate.data());
        cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_AREA);
    }

    void screen_row(int y, float* sr, float* sg, float* sb) const {
        if (spec.mode == KeySpec::Mode::Plate) deinterleave_rgb(plate.row(y), plate.width(), sr, sg, sb);
        else field.expand_row(y, sr, sg, sb);
    }

    // Raw matte of image row y (after levels).
    void alpha_row(int y, const std::uint8_t* rgba, float* rows, int n, float* alpha, MatteLevels levels) const {
        if (spec.mode == KeySpec::Mode::Ai) {
            ai->row(y, alpha);
            for (int x = 0; x < n; ++x) alpha[x] = std::clamp(alpha[x] * levels.gain + levels.offset, 0.f, 1.f);
        } else if (spec.mode == KeySpec::Mode::Plate) {
            float* c[6];
            for (int k = 0; k < 6; ++k) c[k] = rows + k * std::size_t(n);
            deinterleave_rgb(rgba, n, c[0], c[1], c[2]);
            screen_row(y, c[3], c[4], c[5]);
            plate_alpha_row(c[0], c[1], c[2], c[3], c[4], c[5], float(s.plate_tolerance * 255.0), levels, n, alpha);
        } else {
            field.expand_inverse_difference_row(y, rows);
            field.expand_white_row(y, rows + std::size_t(n));
            chroma_alpha_row(rgba, rows, rows + std::size_t(n), screen->weights, levels, n, alpha);
        }
    }

    void process_with_matte(Frame& frame, const ImageF32& alpha, ThreadPool& pool) {
        ImageU8& img = frame.rgba;
        if (img.empty()) return;
        if (img.channels() != 4) fail(ErrorKind::Processing, "keyer: frames must be RGBA");
        const int w = img.width(), h = img.height();
        if (alpha.width() != w || alpha.height() != h || alpha.channels() != 1)
            fail(ErrorKind::Processing, "keyer: the given matte is not frame-sized");
        find_screen_colour(frame);
        restore_chroma(frame, pool);
        prepare_backdrop(img, pool);
        ImageF32 work = alpha;
        Image<std::uint16_t> no_prev(w, h, 1);
        scratch.ensure(pool.size(), std::size_t(kRows) * w);
        scratch.rewind();
        pool.parallel_rows(h, [&](int y0, int y1) {
            float* rows = scratch.acquire();
            for (int y = y0; y < y1; ++y) {
                FinishRow f = finish_setup(y, rows, img.row(y), w);
                f.prev = no_prev.row(y);
                f.temporal.strength = 0.f;
                matte::finish_row(img.row(y), work.row(y), f, w);
            }
        });
        frame.has_alpha = true;
    }

    // A subsampled source's chroma rebuilt from its luma, so the matte and the foreground solve
    // read strand-scale colour (an AI matte reads the picture, not its chroma).
    void restore_chroma(Frame& frame, ThreadPool& pool) {
        if (s.restore_chroma && spec.mode != KeySpec::Mode::Ai && frame.chroma.subsampled())
            restorer.apply(frame.rgba, frame.chroma, pool);
    }

    // The backdrop the foreground is solved against: the plate, the screen field, or (AI matte)
    // none, after running the model.
    void prepare_backdrop(const ImageU8& img, ThreadPool& pool) {
        if (spec.mode == KeySpec::Mode::Ai) ai->estimate(img.view());
        else if (spec.mode == KeySpec::Mode::Plate) prepare_plate(img.width(), img.height());
        else field.estimate(img.view(), *screen, pool);
    }

    // The finish's screen rows, despill and temporal state for image row y.
    FinishRow finish_setup(int y, float* rows, const std::uint8_t* rgba, int n) {
        FinishRow f;
        if (spec.mode == KeySpec::Mode::Plate || spec.mode == KeySpec::Mode::Ai) {
            // With an AI matte there is no backdrop colour to unmix: solving against the pixel
            // itself keeps the pixel's colour (F = I), and there is no screen hue to despill.
            deinterleave_rgb(spec.mode == KeySpec::Mode::Ai ? rgba : plate.row(y), n, rows, rows + std::size_t(n),
                             rows + 2 * std::size_t(n));
            for (int c = 0; c < 3; ++c) f.screen_lo[c] = f.screen_hi[c] = rows + c * std::size_t(n);
        } else {
            const auto r = field.rows(y);
            for (int c = 0; c < 3; ++c) f.screen_lo[c] = r.lo + c * std::size_t(n), f.screen_hi[c] = r.hi + c * std::size_t(n);
            f.screen_t = r.t;
            if (field.has_colour_prior()) {
                for (int c = 0; c < 4; ++c) {
                    const std::size_t o = std::size_t(ScreenField::kPrior + c) * std::size_t(n);
                    f.prior_lo[c] = r.lo + o, f.prior_hi[c] = r.hi + o;
                }
                f.prior_rho = kColourPriorRho;
            }
        }
        // Without a previous matte the smoothing weight is 0 and the row only seeds `prev`.
        f.prev = prev.row(y);
        f.temporal = temporal;
        if (!has_prev) f.temporal.strength = 0.f;
        f.despill = despill;
        if (spec.mode == KeySpec::Mode::Plate || spec.mode == KeySpec::Mode::Ai) 
            f.despill.strength = 0.f;  // no screen hue to remove
        f.primary = screen ? screen->primary : 1;
        return f;
    }

    // Refinement (when `refine_here`), regions, temporal, foreground solve, despill and packing
    // for image row y, in one fused kernel unless regions have to edit the matte in between.
    void finish_row(int y, float* rows, FastGuidedFilter::RowCache& cache, bool refine_here, float* alpha,
                    std::uint8_t* rgba, int n) {
        FinishRow f = finish_setup(y, rows, rgba, n);
        const bool regions = garbage.active() || core.active();
        if (refine_here && !regions) {
            const auto c = guided.coefficient_rows(y, cache);
            f.refine = true;
            for (int k = 0; k < 4; ++k) f.coef_lo[k] = c.lo[k], f.coef_hi[k] = c.hi[k];
            f.coef_t = c.t;
        } else {
            if (refine_here) guided.refine_row(y, rgba, alpha, cache);
            garbage.apply_garbage_row(y, alpha, n);
            core.apply_core_row(y, alpha, n);
        }
        matte::finish_row(rgba, alpha, f, n);
    }

    void process(Frame& frame, ImageF32& matte, ThreadPool& pool, StageTimes* times) {
        ImageU8& img = frame.rgba;
        if (img.empty()) return;
        if (img.channels() != 4) fail(ErrorKind::Processing, "keyer: frames must be RGBA");
        const int w = img.width(), h = img.height();
        Stopwatch clock;
        auto lap = [&](const char* stage) {
            if (times) times->add(stage, clock.ms());
            clock.reset();
        };

        // The screen colour first, from the frame as decoded: take_screen_from() (a chunk of a
        // longer job) reads it from an unkeyed frame, and every chunk must key alike.
        find_screen_colour(frame);
        restore_chroma(frame, pool);
        lap("key.chroma");
        prepare_backdrop(img, pool);
        lap(spec.mode == KeySpec::Mode::Ai ? "key.model" : "key.screen");

        matte.reshape(w, h, 1);
        if (prev.width() != w || prev.height() != h) {
            prev.reshape(w, h, 1);
            has_prev = false;
        }
        garbage.prepare(w, h);
        core.prepare(w, h);
        if (s.refine) {
            guided.configure(w, h, s.refine_radius, float(s.refine_eps));
            // Clip white near solid regions only (see set_local_gain): the statistics see the
            // matte with clip black alone, the white point is applied to the fitted model.
            // Clip black near the backdrop only (see set_local_black): the statistics see the
            // matte with the white point alone, the black point is applied to the fitted model.
            guided.set_local_black(s.local_black ? float(s.clip_black / s.clip_white) : 0.f, kClearBlock, kClearFade);
        }
        const MatteLevels pass1 = s.refine && s.local_black ? white_levels : levels;
        scratch.ensure(pool.size(), std::size_t(kRows) * w +
                                        (s.refine ? std::max(guided.scratch_floats(), guided.row_cache_floats()) : 0));

        // Pass 1: the guided filter's low-resolution statistics of image and raw matte (the raw
        // matte itself is only stored without refinement). Work is split in blocks of the
        // filter's scale so each low-resolution row has a single writer.
        const bool chroma = spec.mode == KeySpec::Mode::Auto || spec.mode == KeySpec::Mode::Colour;
        const int block = s.refine ? guided.scale() : 8;
        scratch.rewind();
        pool.parallel_rows((h + block - 1) / block, [&](int b0, int b1) {
            float* rows = scratch.acquire();
            float* rowsum = rows + kRows * std::size_t(w);
            for (int y = b0 * block; y < std::min(h, b1 * block); ++y) {
                if (s.refine && chroma) {
                    const auto f = field.rows(y);
                    if (guided.starts_block(y)) std::fill(rowsum, rowsum + 4 * std::size_t(w), 0.f);
                    const std::size_t inv = ScreenField::kInverseDifference * std::size_t(w);
                    const std::size_t ws = ScreenField::kScale * std::size_t(w);
                    chroma_alpha_sums_row(img.row(y), f.lo + inv, f.hi + inv, f.lo + ws, f.hi + ws, f.t,
                                          screen->weights, pass1, w, rowsum);
                    if (guided.ends_block(y)) guided.store_block(y, rowsum);
                    continue;
                }
                alpha_row(y, img.row(y), rows, w, matte.row(y), pass1);
                if (s.refine) guided.accumulate_row(y, img.row(y), matte.row(y), rowsum);
            }
        }, 1);
        lap("key.matte");

        if (s.refine) guided.solve(pool);
        lap("key.refine");

        // Pass 2: refined matte and (when no neighbourhood shaping is needed) the finish, fused
        // so each row is read once.
        const bool fused = !shape.active();
        scratch.rewind();
        pool.parallel_rows(h, [&](int y0, int y1) {
            float* rows = scratch.acquire();
            FastGuidedFilter::RowCache cache{rows + kRows * std::size_t(w)};
            for (int y = y0; y < y1; ++y) {
                if (fused) finish_row(y, rows, cache, s.refine, matte.row(y), img.row(y), w);
                else if (s.refine) guided.refine_row(y, img.row(y), matte.row(y), cache);
            }
        });
        if (!fused) {
            shape.apply(matte);
            scratch.rewind();
            pool.parallel_rows(h, [&](int y0, int y1) {
                float* rows = scratch.acquire();
                FastGuidedFilter::RowCache cache{rows + kRows * std::size_t(w)};
                for (int y = y0; y < y1; ++y) finish_row(y, rows, cache, false, matte.row(y), img.row(y), w);
            });
        }
        has_prev = true;
        frame.has_alpha = true;
        lap("key.finish");
    }
};

Keyer::Keyer(const KeyerSettings& s) : impl_(std::make_unique<Impl>()) {
    impl_->s.key.clear();  // force the first configure to treat the key as new
    impl_->configure(s);
}
Keyer::~Keyer() = default;
Keyer::Keyer(Keyer&&) noexcept = default;
Keyer& Keyer::operator=(Keyer&&) noexcept = default;

void Keyer::set_plate(const ImageU8& image) {
    impl_->plate_source = image;
    impl_->plate = {};
}
void Keyer::set_garbage_mask(const ImageU8& mask) { impl_->garbage.set_mask(mask); }
void Keyer::set_core_mask(const ImageU8& mask) { impl_->core.set_mask(mask); }

void Keyer::process(Frame& frame, ImageF32& matte, ThreadPool& pool, StageTimes* times) {
    impl_->process(frame, matte, pool, times);
}

void Keyer::process_with_matte(Frame& frame, const ImageF32& alpha, ThreadPool& pool) {
    impl_->process_with_matte(frame, alpha, pool);
}

const KeyReport& Keyer::report() const { return impl_->report; }
void Keyer::take_screen_from(const Frame& frame) { impl_->find_screen_colour(frame); }
void Keyer::validate(const KeyerSettings& n) {
    validate_ranges(n);
    (void)parse_key(n.key);
    for (auto& t : n.garbage) (void)parse_rect(t, "garbage");
    for (auto& t : n.core) (void)parse_rect(t, "core");
}

const KeyerSettings& Keyer::settings() const { return impl_->s; }
void Keyer::update(const KeyerSettings& s) { impl_->configure(s); }
void Keyer::reset() {
    impl_->has_prev = false;
    impl_->screen.reset();
    if (impl_->ai) impl_->ai->reset();  // a recurrent matting model's memory
}

}  // namespace keyswap::matte
