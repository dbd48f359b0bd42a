#include "obs_host.hpp"

#include <obs-nix-platform.h>
#include <util/platform.h>

#include <cstring>
#include <filesystem>

#include <unistd.h>

// Last: Xlib defines macros (Bool, Status) that break other headers.
#include <X11/Xlib.h>

namespace keyswap::obs_test {
namespace fs = std::filesystem;

namespace {

bool open_module(const std::string& bin, const std::string& data) {
    if (!fs::exists(bin)) return false;
    obs_module_t* mod = nullptr;
    return obs_open_module(&mod, bin.c_str(), data.c_str()) == MODULE_SUCCESS && obs_init_module(mod);
}

bool open_obs_module(const char* name) {
    return open_module(std::string("/usr/lib/x86_64-linux-gnu/obs-plugins/") + name + ".so",
                       std::string("/usr/share/obs/obs-plugins/") + name);
}

}  // namespace

ObsHost::ObsHost(int width, int height, const std::string& keyswap_module, const std::string& keyswap_data,
                 int fps) {
    Display* d = XOpenDisplay(nullptr);
    if (!d) {
        error_ = "no X display: run under xvfb-run";
        return;
    }
    display_ = d;
    obs_set_nix_platform(OBS_NIX_PLATFORM_X11_EGL);
    obs_set_nix_platform_display(d);
    const fs::path cfg = fs::temp_directory_path() / ("keyswap-obs-host-" + std::to_string(::getpid()));
    if (!obs_startup("en-US", cfg.c_str(), nullptr)) {
        error_ = "obs_startup failed";
        return;
    }
    obs_video_info ovi = {};
    ovi.graphics_module = "libobs-opengl.so.29";
    ovi.fps_num = std::uint32_t(fps);
    ovi.fps_den = 1;
    ovi.base_width = ovi.output_width = std::uint32_t(width);
    ovi.base_height = ovi.output_height = std::uint32_t(height);
    ovi.output_format = VIDEO_FORMAT_RGBA;
    ovi.colorspace = VIDEO_CS_SRGB;
    ovi.range = VIDEO_RANGE_FULL;
    ovi.gpu_conversion = true;
    ovi.scale_type = OBS_SCALE_POINT;
    if (obs_reset_video(&ovi) != OBS_VIDEO_SUCCESS) {
        error_ = "obs_reset_video failed (no OpenGL?)";
        return;
    }
    // A media source with sound needs the audio subsystem.
    obs_audio_info oai = {};
    oai.samples_per_sec = 48000;
    oai.speakers = SPEAKERS_STEREO;
    if (!obs_reset_audio(&oai)) {
        error_ = "obs_reset_audio failed";
        return;
    }
    real_sources_ = open_obs_module("image-source") && open_obs_module("obs-ffmpeg");
    if (!open_module(keyswap_module, keyswap_data)) error_ = "cannot load " + keyswap_module;
}

ObsHost::~ObsHost() {
    obs_shutdown();
    if (display_) XCloseDisplay(static_cast<Display*>(display_));
}

std::vector<std::uint8_t> render_source(obs_source_t* source, int w, int h) {
    std::vector<std::uint8_t> out;
    obs_enter_graphics();
    gs_texrender_t* tr = gs_texrender_create(GS_RGBA, GS_ZS_NONE);
    gs_stagesurf_t* st = gs_stagesurface_create(std::uint32_t(w), std::uint32_t(h), GS_RGBA);
    if (gs_texrender_begin(tr, std::uint32_t(w), std::uint32_t(h))) {
        vec4 clear;
        vec4_zero(&clear);
        gs_clear(GS_CLEAR_COLOR, &clear, 0.0f, 0);
        gs_ortho(0.0f, float(w), 0.0f, float(h), -100.0f, 100.0f);
        gs_blend_state_push();
        gs_blend_function(GS_BLEND_ONE, GS_BLEND_ZERO);
        obs_source_video_render(source);
        gs_blend_state_pop();
        gs_texrender_end(tr);
        gs_stage_texture(st, gs_texrender_get_texture(tr));
        uint8_t* data = nullptr;
        uint32_t linesize = 0;
        if (gs_stagesurface_map(st, &data, &linesize)) {
            out.resize(std::size_t(w) * h * 4);
            for (int y = 0; y < h; ++y)
                std::memcpy(out.data() + std::size_t(y) * w * 4, data + std::size_t(y) * linesize, std::size_t(w) * 4);
            gs_stagesurface_unmap(st);
        }
    }
    gs_stagesurface_destroy(st);
    gs_texrender_destroy(tr);
    obs_leave_graphics();
    return out;
}

FilterStats stats_of(obs_source_t* filter) {
    calldata_t cd;
    calldata_init(&cd);
    FilterStats s;
    if (proc_handler_call(obs_source_get_proc_handler(filter), "keyswap_stats", &cd)) {
        s.processed = calldata_int(&cd, "processed");
        s.dropped = calldata_int(&cd, "dropped");
        s.from_cpu = calldata_int(&cd, "from_cpu");
        s.read_back = calldata_int(&cd, "read_back");
        s.latency_ms = calldata_float(&cd, "latency_ms");
        s.pass_ms = calldata_float(&cd, "pass_ms");
        s.convert_ms = calldata_float(&cd, "convert_ms");
    }
    calldata_free(&cd);
    return s;
}

}  // namespace keyswap::obs_test
