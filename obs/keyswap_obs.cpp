// keyswap-obs: the fused pass (key + face swap + composite) as an OBS video filter,
// `keyswap_filter`, on any source. Thin over libkeyswap: frames go to a FilterWorker beside
// OBS's render loop and the newest result is drawn with its alpha, so OBS composites it.
//
// Frames are taken the cheapest way each source allows: an async source (camera, media)
// hands each CPU frame to the filter's filter_video as it arrives (OBS calls it for every
// filter that has one), converted once with the matrix and range OBS gives it and passed on
// unchanged; any other source (window, screen, scene, image) is rendered into a texture and
// copied to the CPU once per frame. Until the first result exists, the filter passes its
// input through.
#include <obs-module.h>
#include <graphics/graphics.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "filter_worker.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/io/yuv_convert.hpp"
#include "obs_settings.hpp"

OBS_DECLARE_MODULE()

namespace keyswap::obs {
namespace {

using Clock = std::chrono::steady_clock;

// Sets `out` from an async frame; false for layouts keyswap does not read (then the
// filter renders the source and reads that back instead).
bool layout_of(video_format f, io::PlaneLayout& out) {
    switch (f) {
        case VIDEO_FORMAT_I420: out = io::PlaneLayout::I420; return true;
        case VIDEO_FORMAT_NV12: out = io::PlaneLayout::NV12; return true;
        case VIDEO_FORMAT_YUY2: out = io::PlaneLayout::YUY2; return true;
        case VIDEO_FORMAT_UYVY: out = io::PlaneLayout::UYVY; return true;
        case VIDEO_FORMAT_YVYU: out = io::PlaneLayout::YVYU; return true;
        case VIDEO_FORMAT_I422: out = io::PlaneLayout::I422; return true;
        case VIDEO_FORMAT_I444: out = io::PlaneLayout::I444; return true;
        case VIDEO_FORMAT_RGBA: out = io::PlaneLayout::RGBA; return true;
        case VIDEO_FORMAT_BGRA: out = io::PlaneLayout::BGRA; return true;
        case VIDEO_FORMAT_BGRX: out = io::PlaneLayout::BGRX; return true;
        case VIDEO_FORMAT_Y800: out = io::PlaneLayout::Y800; return true;
        default: return false;
    }
}

struct Filter {
    obs_source_t* source = nullptr;
    FilterWorker worker;
    std::string error_shown;  // the message last logged, so each is logged once
    std::mutex settings_mutex;
    std::string settings_error;  // why the last settings were refused ("" = they were taken)

    // Graphics objects: created and destroyed inside the graphics context.
    gs_texrender_t* texrender = nullptr;
    gs_stagesurf_t* stage = nullptr;
    gs_texture_t* texture = nullptr;
    std::uint64_t drawn_serial = 0;
    // Set by filter_video: the source hands over CPU frames, so nothing is read back.
    std::atomic<bool> cpu_frames{false};
    std::atomic<std::uint64_t> frames_from_cpu{0}, frames_read_back{0};

    Clock::time_point last_log = Clock::now();
    WorkerStats logged;

    ~Filter() {
        obs_enter_graphics();
        gs_texrender_destroy(texrender);
        gs_stagesurface_destroy(stage);
        gs_texture_destroy(texture);
        obs_leave_graphics();
    }
};

const char* filter_name(void*) { return "keyswap (key + face swap)"; }

void apply(Filter* f, obs_data_t* settings) {
    f->worker.show_stats(obs_data_get_bool(settings, kShowStats));
    std::string refused;
    try {
        f->worker.configure(std::make_shared<const pipeline::Settings>(settings_of(settings)));
    } catch (const std::exception& e) {
        refused = std::string("settings not applied: ") + e.what();
        blog(LOG_WARNING, "[keyswap] %s", refused.c_str());
    }
    std::lock_guard lock(f->settings_mutex);
    f->settings_error = refused;
}

// "keyswap_stats" on the filter's procedure handler: what the log line says, for tools
// (and tests): frames processed and dropped, how they were taken, the last latency.
void stats_proc(void* data, calldata_t* cd) {
    auto* f = static_cast<Filter*>(data);
    const WorkerStats s = f->worker.stats();
    calldata_set_int(cd, "processed", static_cast<long long>(s.processed));
    calldata_set_int(cd, "dropped", static_cast<long long>(s.dropped));
    calldata_set_int(cd, "from_cpu", static_cast<long long>(f->frames_from_cpu.load()));
    calldata_set_int(cd, "read_back", static_cast<long long>(f->frames_read_back.load()));
    calldata_set_float(cd, "latency_ms", s.last_latency_ms);
    calldata_set_float(cd, "pass_ms", s.mean_pass_ms);
    calldata_set_float(cd, "convert_ms", s.mean_convert_ms);
}

void* filter_create(obs_data_t* settings, obs_source_t* source) {
    try {
        auto* f = new Filter;
        f->source = source;
        apply(f, settings);
        proc_handler_add(obs_source_get_proc_handler(source),
                         "void keyswap_stats(out int processed, out int dropped, out int from_cpu, out int read_back, "
                         "out float latency_ms, out float pass_ms, out float convert_ms)",
                         stats_proc, f);
        return f;
    } catch (const std::exception& e) {
        blog(LOG_ERROR, "[keyswap] cannot create the filter: %s", e.what());
        return nullptr;
    }
}

void filter_destroy(void* data) { delete static_cast<Filter*>(data); }  // joins the worker

void filter_update(void* data, obs_data_t* settings) { apply(static_cast<Filter*>(data), settings); }

void filter_defaults(obs_data_t* settings) { set_defaults(settings); }

bool load_clicked(obs_properties_t*, obs_property_t*, void* data) {
    auto* f = static_cast<Filter*>(data);
    obs_data_t* settings = obs_source_get_settings(f->source);
    const std::string file = obs_data_get_string(settings, kSettingsFile);
    try {
        load_file_into(settings, file);
        obs_source_update(f->source, settings);
        blog(LOG_INFO, "[keyswap] loaded settings from %s", file.c_str());
    } catch (const std::exception& e) {
        blog(LOG_WARNING, "[keyswap] %s", e.what());
    }
    obs_data_release(settings);
    return true;
}

obs_properties_t* filter_properties(void* data) {
    obs_properties_t* props = obs_properties_create();
    if (auto* f = static_cast<Filter*>(data)) {
        std::string err = f->worker.error();
        {
            std::lock_guard lock(f->settings_mutex);
            if (!f->settings_error.empty()) err = f->settings_error;
        }
        if (!err.empty()) {
            obs_property_t* p = obs_properties_add_text(props, "keyswap-error", err.c_str(), OBS_TEXT_INFO);
            obs_property_text_set_info_type(p, OBS_TEXT_INFO_ERROR);
        }
    }
    add_properties(props);
    obs_properties_add_path(props, kSettingsFile, "Settings file (keyswap --settings)", OBS_PATH_FILE,
                            "keyswap settings (*.json);;All files (*.*)", nullptr);
    obs_properties_add_button2(props, "keyswap-load", "Load settings file", load_clicked, data);
    obs_properties_add_bool(props, kShowStats, "Show stats on the picture (fps, pass time, latency, dropped)");
    return props;
}

// An async source's frame, during OBS's video tick: copied and handed over, and passed on
// unchanged (the filter draws the result in video_render).
obs_source_frame* filter_video(void* data, obs_source_frame* frame) {
    auto* f = static_cast<Filter*>(data);
    io::PlaneLayout layout;
    if (!frame || frame->flip || !layout_of(frame->format, layout)) {
        f->cpu_frames = false;  // a layout keyswap does not read: read the render back instead
        return frame;
    }
    io::PlaneFrame pf;
    pf.layout = layout;
    pf.width = int(frame->width);
    pf.height = int(frame->height);
    for (int i = 0; i < 4; ++i) {
        pf.data[i] = frame->data[i];
        pf.linesize[i] = int(frame->linesize[i]);
    }
    io::YuvMatrix m;
    std::memcpy(m.m.data(), frame->color_matrix, sizeof frame->color_matrix);
    // OBS leaves the range at zero for full-range frames (its shader then skips the clamp).
    for (int i = 0; i < 3 && !frame->full_range; ++i)
        if (frame->color_range_max[i] > frame->color_range_min[i]) {
            m.min[i] = frame->color_range_min[i];
            m.max[i] = frame->color_range_max[i];
        }
    try {
        // OBS runs async filters on its render thread (the video tick): only the copy is paid
        // here; the worker converts at its own priority.
        io::PlaneCopy copy = f->worker.recycled_planes();
        copy.assign(pf);
        f->worker.submit(std::move(copy), m);
        f->cpu_frames = true;
        ++f->frames_from_cpu;
    } catch (const std::exception& e) {
        blog(LOG_WARNING, "[keyswap] %s", e.what());
    }
    return frame;
}

// Any other source: rendered into a texture and read back once.
void capture(Filter* f, obs_source_t* target, uint32_t w, uint32_t h) {
    if (!f->texrender) f->texrender = gs_texrender_create(GS_RGBA, GS_ZS_NONE);
    gs_texrender_reset(f->texrender);
    if (!gs_texrender_begin(f->texrender, w, h)) return;
    vec4 clear;
    vec4_zero(&clear);
    gs_clear(GS_CLEAR_COLOR, &clear, 0.0f, 0);
    gs_ortho(0.0f, float(w), 0.0f, float(h), -100.0f, 100.0f);
    gs_blend_state_push();
    gs_blend_function(GS_BLEND_ONE, GS_BLEND_ZERO);
    // A source that draws with the effect OBS hands it (an image, a window capture) gets
    // the default one, as OBS's own filter rendering does; sources that draw themselves
    // (scenes, custom drawing) and async ones set up their own.
    const uint32_t flags = obs_source_get_output_flags(target);
    gs_technique_t* tech = nullptr;
    if (!(flags & (OBS_SOURCE_CUSTOM_DRAW | OBS_SOURCE_ASYNC)) && !gs_get_effect()) {
        tech = gs_effect_get_technique(obs_get_base_effect(OBS_EFFECT_DEFAULT), "Draw");
        gs_technique_begin(tech);
        gs_technique_begin_pass(tech, 0);
    }
    obs_source_video_render(target);
    if (tech) {
        gs_technique_end_pass(tech);
        gs_technique_end(tech);
    }
    gs_blend_state_pop();
    gs_texrender_end(f->texrender);
    if (!f->stage || gs_stagesurface_get_width(f->stage) != w || gs_stagesurface_get_height(f->stage) != h) {
        gs_stagesurface_destroy(f->stage);
        f->stage = gs_stagesurface_create(w, h, GS_RGBA);
    }
    gs_stage_texture(f->stage, gs_texrender_get_texture(f->texrender));
    uint8_t* data = nullptr;
    uint32_t linesize = 0;
    if (!gs_stagesurface_map(f->stage, &data, &linesize)) return;
    ImageU8 rgba(int(w), int(h), 4);
    for (uint32_t y = 0; y < h; ++y) std::memcpy(rgba.row(int(y)), data + std::size_t(y) * linesize, std::size_t(w) * 4);
    gs_stagesurface_unmap(f->stage);
    f->worker.submit(std::move(rgba));
    ++f->frames_read_back;
}

void log_now_and_then(Filter* f) {
    const auto now = Clock::now();
    const std::string err = f->worker.error();
    if (err != f->error_shown) {
        if (!err.empty()) blog(LOG_WARNING, "[keyswap] %s", err.c_str());
        f->error_shown = err;
        obs_source_update_properties(f->source);
    }
    if (now - f->last_log < std::chrono::seconds(10)) return;
    const WorkerStats s = f->worker.stats();
    const double secs = std::chrono::duration<double>(now - f->last_log).count();
    blog(LOG_INFO, "[keyswap] %s: %.1f fps processed, %llu dropped, latency %.1f ms, pass %.1f ms, conversion %.1f ms",
         obs_source_get_name(f->source), double(s.processed - f->logged.processed) / secs,
         static_cast<unsigned long long>(s.dropped - f->logged.dropped), s.last_latency_ms, s.mean_pass_ms,
         s.mean_convert_ms);
    f->logged = s;
    f->last_log = now;
}

void filter_render(void* data, gs_effect_t*) {
    auto* f = static_cast<Filter*>(data);
    obs_source_t* target = obs_filter_get_target(f->source);
    obs_source_t* parent = obs_filter_get_parent(f->source);
    const uint32_t w = target ? obs_source_get_base_width(target) : 0, h = target ? obs_source_get_base_height(target) : 0;
    if (!target || !parent || w == 0 || h == 0) {
        obs_source_skip_video_filter(f->source);
        return;
    }
    if (!f->cpu_frames || !(obs_source_get_output_flags(parent) & OBS_SOURCE_ASYNC)) capture(f, target, w, h);
    log_now_and_then(f);
    const auto result = f->worker.latest();
    if (!result) {
        obs_source_skip_video_filter(f->source);
        return;
    }
    const std::uint32_t rw = std::uint32_t(result->width()), rh = std::uint32_t(result->height());
    if (!f->texture || gs_texture_get_width(f->texture) != rw || gs_texture_get_height(f->texture) != rh) {
        gs_texture_destroy(f->texture);
        f->texture = gs_texture_create(rw, rh, GS_RGBA, 1, nullptr, GS_DYNAMIC);
        f->drawn_serial = 0;
    }
    const std::uint64_t serial = f->worker.result_serial();
    if (serial != f->drawn_serial) {
        gs_texture_set_image(f->texture, result->data(), rw * 4, false);
        f->drawn_serial = serial;
    }
    gs_effect_t* effect = obs_get_base_effect(OBS_EFFECT_DEFAULT);
    gs_effect_set_texture(gs_effect_get_param_by_name(effect, "image"), f->texture);
    while (gs_effect_loop(effect, "Draw")) gs_draw_sprite(f->texture, 0, w, h);
}

}  // namespace
}  // namespace keyswap::obs

bool obs_module_load(void) {
    using namespace keyswap::obs;
    obs_source_info info = {};
    info.id = "keyswap_filter";
    info.type = OBS_SOURCE_TYPE_FILTER;
    // Custom drawing: the filter runs its own effect to draw the result (and renders a
    // non-async source into a texture itself).
    info.output_flags = OBS_SOURCE_VIDEO | OBS_SOURCE_CUSTOM_DRAW;
    info.get_name = filter_name;
    info.create = filter_create;
    info.destroy = filter_destroy;
    info.update = filter_update;
    info.get_defaults = filter_defaults;
    info.get_properties = filter_properties;
    info.video_render = filter_render;
    info.filter_video = filter_video;
    obs_register_source(&info);
    blog(LOG_INFO, "[keyswap] keyswap_filter registered");
    return true;
}
