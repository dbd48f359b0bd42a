// The OBS filter plugin inside a real libobs (Debian's OBS 29) started headless on a virtual
// X display (Xvfb, Mesa's software OpenGL): keyswap-obs.so is loaded as OBS loads plugins,
// `keyswap_filter` is put on a test camera-like (async) source in several pixel formats and
// on a rendered (non-async) source, and OBS's own output frames are read back and checked
// against the scene's truth: the green screen gone (alpha 0), the subject kept in its colour.
#include <gtest/gtest.h>

#include <obs.h>
#include <util/base.h>
#include <util/bmem.h>
#include <util/platform.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/io/yuv_convert.hpp"
#include "../test_support.hpp"
#include "obs_host.hpp"


namespace {

namespace fs = std::filesystem;
constexpr int kW = 640, kH = 360;
// The subject: a block in the middle, the rest green screen.
constexpr int kX0 = 220, kX1 = 420, kY0 = 80, kY1 = 280;
constexpr std::uint8_t kGreen[3] = {20, 180, 60}, kSubject[3] = {200, 120, 90};

bool in_subject(int x, int y) { return x >= kX0 && x < kX1 && y >= kY0 && y < kY1; }

std::vector<std::uint8_t> scene_rgba() {
    std::vector<std::uint8_t> px(std::size_t(kW) * kH * 4);
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) {
            const std::uint8_t* c = in_subject(x, y) ? kSubject : kGreen;
            // A little texture, as a camera gives, so nothing is perfectly flat.
            const int n = ((x * 7 + y * 13) % 5) - 2;
            for (int k = 0; k < 3; ++k) px[(std::size_t(y) * kW + x) * 4 + k] = std::uint8_t(std::clamp(c[k] + n, 0, 255));
            px[(std::size_t(y) * kW + x) * 4 + 3] = 255;
        }
    return px;
}

// ---- a camera-like source: frames pushed by the test in a chosen format
void* async_create(obs_data_t*, obs_source_t* source) {
    obs_source_set_async_unbuffered(source, true);
    return source;
}
void async_destroy(void*) {}
const char* async_name(void*) { return "keyswap test camera"; }

// ---- a rendered source: draws the scene as a texture (like an image or window capture)
struct Rendered {
    gs_texture_t* tex = nullptr;
};
// A photo (setting "image") scaled to the canvas, or the green-screen scene.
std::vector<std::uint8_t> picture_of(const char* image) {
    if (!image || !*image) return scene_rgba();
    const keyswap::Frame f = keyswap::io::read_image(image);
    cv::Mat src(f.rgba.height(), f.rgba.width(), CV_8UC4, const_cast<std::uint8_t*>(f.rgba.data())), dst;
    cv::resize(src, dst, cv::Size(kW, kH), 0, 0, cv::INTER_AREA);
    return std::vector<std::uint8_t>(dst.data, dst.data + std::size_t(kW) * kH * 4);
}
void* rendered_create(obs_data_t* settings, obs_source_t*) {
    auto* r = new Rendered;
    const auto px = picture_of(obs_data_get_string(settings, "image"));
    const std::uint8_t* planes[1] = {px.data()};
    obs_enter_graphics();
    r->tex = gs_texture_create(kW, kH, GS_RGBA, 1, planes, 0);
    obs_leave_graphics();
    return r;
}
void rendered_destroy(void* d) {
    auto* r = static_cast<Rendered*>(d);
    obs_enter_graphics();
    gs_texture_destroy(r->tex);
    obs_leave_graphics();
    delete r;
}
uint32_t rendered_width(void*) { return kW; }
uint32_t rendered_height(void*) { return kH; }
// Like OBS's image source: draws with the effect OBS hands it and nothing else, so a filter
// that renders it without one is caught (counted here, checked by the tests).
std::atomic<int> g_renders_without_effect{0};
void rendered_render(void* d, gs_effect_t* effect) {
    gs_texture_t* tex = static_cast<Rendered*>(d)->tex;
    if (!effect) {
        ++g_renders_without_effect;
        return;
    }
    gs_effect_set_texture(gs_effect_get_param_by_name(effect, "image"), tex);
    gs_draw_sprite(tex, 0, kW, kH);
}

// libobs's log, printed as usual and kept for the leak count it reports at shutdown.
std::mutex g_log_mutex;
std::string g_log;
void log_handler(int level, const char* format, va_list args, void*) {
    char line[4096];
    std::vsnprintf(line, sizeof line, format, args);
    if (level <= LOG_INFO) std::fprintf(stderr, "%s\n", line);
    std::lock_guard lock(g_log_mutex);
    g_log += line;
    g_log += '\n';
}

bool g_real_sources = false;

using keyswap::obs_test::FilterStats;
using keyswap::obs_test::stats_of;

class Obs : public ::testing::Environment {
public:
    void SetUp() override {
        base_set_log_handler(log_handler, nullptr);
        host_ = std::make_unique<keyswap::obs_test::ObsHost>(kW, kH, KEYSWAP_OBS_MODULE, KEYSWAP_OBS_DATA);
        ASSERT_TRUE(host_->ok()) << host_->error();
        g_real_sources = host_->real_sources();

        obs_source_info a = {};
        a.id = "keyswap_test_camera";
        a.type = OBS_SOURCE_TYPE_INPUT;
        a.output_flags = OBS_SOURCE_ASYNC_VIDEO;
        a.get_name = async_name;
        a.create = async_create;
        a.destroy = async_destroy;
        obs_register_source(&a);
        obs_source_info r = {};
        r.id = "keyswap_test_rendered";
        r.type = OBS_SOURCE_TYPE_INPUT;
        r.output_flags = OBS_SOURCE_VIDEO;
        r.get_name = [](void*) { return "keyswap test rendered"; };
        r.create = rendered_create;
        r.destroy = rendered_destroy;
        r.get_width = rendered_width;
        r.get_height = rendered_height;
        r.video_render = rendered_render;
        obs_register_source(&r);
    }
    void TearDown() override {
        host_.reset();  // obs_shutdown
        // libobs counts what was allocated through it and never freed (sources, filters, data,
        // textures): what OBS's own frontend reports as "Number of memory leaks" at exit.
        EXPECT_EQ(bnum_allocs(), 0) << "libobs reports leaks at shutdown";
    }

private:
    std::unique_ptr<keyswap::obs_test::ObsHost> host_;
};

std::vector<std::uint8_t> render_source(obs_source_t* source, int w = kW, int h = kH) {
    auto px = keyswap::obs_test::render_source(source, w, h);
    EXPECT_FALSE(px.empty()) << "cannot read the texture back";
    if (px.empty()) px.assign(std::size_t(w) * h * 4, 0);
    return px;
}



// Runs OBS with `source` (and its filters) on the main output for `frames` frame times
// (calling `each` once per frame time) and returns the source as OBS draws it then. The
// picture is read by rendering the source in OBS's graphics context: OBS's own raw-output
// pipeline gives no frames on a virtual display, and what it would show is this same render.
std::vector<std::uint8_t> output_after(obs_source_t* source, int frames, const std::function<void()>& each = {}) {
    obs_set_output_source(0, source);
    std::vector<std::uint8_t> px;
    for (int i = 0; i < frames; ++i) {
        if (each) each();
        std::this_thread::sleep_for(std::chrono::milliseconds(33));
        px = render_source(source);
    }
    obs_set_output_source(0, nullptr);
    return px;
}

struct Verdict {
    double background_alpha = 0, subject_alpha = 0, subject_error = 0;
};

Verdict judge(const std::vector<std::uint8_t>& rgba) {
    Verdict v;
    double bg = 0, fg = 0, err = 0;
    int nb = 0, nf = 0;
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) {
            const std::uint8_t* p = rgba.data() + (std::size_t(y) * kW + x) * 4;
            // Away from the edge, where the truth is plainly one or the other.
            const bool inside = x >= kX0 + 6 && x < kX1 - 6 && y >= kY0 + 6 && y < kY1 - 6;
            const bool outside = x < kX0 - 6 || x >= kX1 + 6 || y < kY0 - 6 || y >= kY1 + 6;
            if (outside) bg += p[3], ++nb;
            if (inside) {
                fg += p[3];
                for (int k = 0; k < 3; ++k) err += std::abs(int(p[k]) - int(kSubject[k]));
                ++nf;
            }
        }
    v.background_alpha = bg / nb;
    v.subject_alpha = fg / nf;
    v.subject_error = err / (3.0 * nf);
    return v;
}

obs_source_t* add_filter(obs_source_t* source, const char* json = nullptr) {
    obs_data_t* s = json ? obs_data_create_from_json(json) : obs_data_create();
    obs_source_t* filter = obs_source_create("keyswap_filter", "keyswap", s, nullptr);
    obs_data_release(s);
    EXPECT_NE(filter, nullptr) << "keyswap_filter is not registered";
    obs_source_filter_add(source, filter);
    return filter;
}

// Pushes the scene as a camera frame in `format`, converted with OBS's own matrix for BT.709
// limited range (what an H.264 media source hands over).
struct CameraFrame {
    std::vector<std::uint8_t> planes[3];
    obs_source_frame frame = {};
};

CameraFrame camera_frame(video_format format, bool full) {
    CameraFrame c;
    const auto rgba = scene_rgba();
    c.frame.width = kW;
    c.frame.height = kH;
    c.frame.format = format;
    const bool yuv = format != VIDEO_FORMAT_BGRA && format != VIDEO_FORMAT_RGBA;
    video_format_get_parameters_for_format(VIDEO_CS_709, full ? VIDEO_RANGE_FULL : VIDEO_RANGE_PARTIAL, format,
                                           c.frame.color_matrix, c.frame.color_range_min, c.frame.color_range_max);
    c.frame.full_range = full;
    // BT.709 from the standard's coefficients, written out independently of the code under test.
    const double ys = full ? 255.0 : 219.0, yo = full ? 0.5 : 16.5, cs = full ? 255.0 : 224.0;
    auto Y = [&](int x, int y) {
        const std::uint8_t* p = rgba.data() + (std::size_t(y) * kW + x) * 4;
        return std::uint8_t(yo + ys * (0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]) / 255.0);
    };
    auto U = [&](int x, int y) {
        const std::uint8_t* p = rgba.data() + (std::size_t(y) * kW + x) * 4;
        return std::uint8_t(std::clamp(128.5 + cs * (-0.1146 * p[0] - 0.3854 * p[1] + 0.5 * p[2]) / 255.0, 0.0, 255.0));
    };
    auto V = [&](int x, int y) {
        const std::uint8_t* p = rgba.data() + (std::size_t(y) * kW + x) * 4;
        return std::uint8_t(std::clamp(128.5 + cs * (0.5 * p[0] - 0.4542 * p[1] - 0.0458 * p[2]) / 255.0, 0.0, 255.0));
    };
    if (!yuv) {
        c.planes[0] = rgba;
        if (format == VIDEO_FORMAT_BGRA)
            for (std::size_t i = 0; i < c.planes[0].size(); i += 4) std::swap(c.planes[0][i], c.planes[0][i + 2]);
        c.frame.data[0] = c.planes[0].data();
        c.frame.linesize[0] = kW * 4;
        c.frame.full_range = true;
        return c;
    }
    if (format == VIDEO_FORMAT_I444) {
        for (int i = 0; i < 3; ++i) c.planes[i].resize(std::size_t(kW) * kH);
        for (int y = 0; y < kH; ++y)
            for (int x = 0; x < kW; ++x) {
                c.planes[0][std::size_t(y) * kW + x] = Y(x, y);
                c.planes[1][std::size_t(y) * kW + x] = U(x, y);
                c.planes[2][std::size_t(y) * kW + x] = V(x, y);
            }
        for (int i = 0; i < 3; ++i) {
            c.frame.data[i] = c.planes[i].data();
            c.frame.linesize[i] = kW;
        }
        return c;
    }
    if (format == VIDEO_FORMAT_I420 || format == VIDEO_FORMAT_NV12) {
        c.planes[0].resize(std::size_t(kW) * kH);
        for (int y = 0; y < kH; ++y)
            for (int x = 0; x < kW; ++x) c.planes[0][std::size_t(y) * kW + x] = Y(x, y);
        const int cw = kW / 2, ch = kH / 2;
        if (format == VIDEO_FORMAT_I420) {
            c.planes[1].resize(std::size_t(cw) * ch);
            c.planes[2].resize(std::size_t(cw) * ch);
            for (int y = 0; y < ch; ++y)
                for (int x = 0; x < cw; ++x) {
                    c.planes[1][std::size_t(y) * cw + x] = U(2 * x, 2 * y);
                    c.planes[2][std::size_t(y) * cw + x] = V(2 * x, 2 * y);
                }
            for (int i = 0; i < 3; ++i) c.frame.data[i] = c.planes[i].data();
            c.frame.linesize[0] = kW;
            c.frame.linesize[1] = c.frame.linesize[2] = cw;
        } else {
            c.planes[1].resize(std::size_t(kW) * ch);
            for (int y = 0; y < ch; ++y)
                for (int x = 0; x < cw; ++x) {
                    c.planes[1][std::size_t(y) * kW + 2 * x] = U(2 * x, 2 * y);
                    c.planes[1][std::size_t(y) * kW + 2 * x + 1] = V(2 * x, 2 * y);
                }
            for (int i = 0; i < 2; ++i) c.frame.data[i] = c.planes[i].data();
            c.frame.linesize[0] = c.frame.linesize[1] = kW;
        }
        return c;
    }
    // YUY2: Y0 U Y1 V
    c.planes[0].resize(std::size_t(kW) * kH * 2);
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; x += 2) {
            std::uint8_t* q = c.planes[0].data() + std::size_t(y) * kW * 2 + x * 2;
            q[0] = Y(x, y);
            q[1] = U(x, y);
            q[2] = Y(x + 1, y);
            q[3] = V(x, y);
        }
    c.frame.data[0] = c.planes[0].data();
    c.frame.linesize[0] = kW * 2;
    return c;
}

TEST(ObsPlugin, OurMatricesAreTheOnesObsGivesItsFrames) {
    for (bool bt709 : {false, true})
        for (bool full : {false, true}) {
            float m[16], lo[3], hi[3];
            ASSERT_TRUE(video_format_get_parameters_for_format(bt709 ? VIDEO_CS_709 : VIDEO_CS_601,
                                                               full ? VIDEO_RANGE_FULL : VIDEO_RANGE_PARTIAL,
                                                               VIDEO_FORMAT_I420, m, lo, hi));
            const auto ours = keyswap::io::yuv_matrix(bt709, full);
            for (int i = 0; i < 12; ++i) EXPECT_NEAR(ours.m[i], m[i], 2e-3) << i << (bt709 ? " 709" : " 601") << full;
            for (int i = 0; i < 3; ++i) {
                EXPECT_NEAR(ours.min[i], lo[i], 1e-3);
                EXPECT_NEAR(ours.max[i], hi[i], 1e-3);
            }
        }
}

TEST(ObsPlugin, KeysACameraSourceInEveryFormatWithItsAlpha) {
    struct Case {
        video_format format;
        bool full_range;
    };
    for (const Case& c : {Case{VIDEO_FORMAT_I420, false}, Case{VIDEO_FORMAT_I420, true}, Case{VIDEO_FORMAT_NV12, false},
                          Case{VIDEO_FORMAT_YUY2, false}, Case{VIDEO_FORMAT_I444, false}, Case{VIDEO_FORMAT_I444, true},
                          Case{VIDEO_FORMAT_BGRA, true}, Case{VIDEO_FORMAT_RGBA, true}}) {
        const video_format format = c.format;
        obs_source_t* cam = obs_source_create_private("keyswap_test_camera", "camera", nullptr);
        ASSERT_NE(cam, nullptr);
        CameraFrame f = camera_frame(format, c.full_range);
        obs_source_t* filter = add_filter(cam);
        const auto out = output_after(cam, 20, [&] {
            f.frame.timestamp = os_gettime_ns();
            obs_source_output_video(cam, &f.frame);
        });
        const Verdict v = judge(out);
        EXPECT_LT(v.background_alpha, 10.0) << "format " << int(format) << ": the green screen must be transparent";
        EXPECT_GT(v.subject_alpha, 245.0) << "format " << int(format);
        EXPECT_LT(v.subject_error, 8.0) << "format " << int(format) << (c.full_range ? " full" : " limited")
                                         << ": the subject keeps its colour";
        const FilterStats st = stats_of(filter);
        EXPECT_GT(st.from_cpu, 0) << "an async source's CPU frames are taken as they are";
        EXPECT_EQ(st.read_back, 0) << "nothing is read back from the GPU for an async source";
        obs_source_filter_remove(cam, filter);
        obs_source_release(filter);
        obs_source_release(cam);
    }
}

// "Show stats on the picture": a legible line (white on an opaque band) in the top left of the
// output, over the transparent backdrop; the rest of the backdrop stays transparent.
TEST(ObsPlugin, StatsAreDrawnOnThePictureWhenAsked) {
    obs_source_t* cam = obs_source_create_private("keyswap_test_camera", "camera", nullptr);
    ASSERT_NE(cam, nullptr);
    CameraFrame f = camera_frame(VIDEO_FORMAT_I420, false);
    obs_source_t* filter = add_filter(cam, R"({"keyswap-show-stats": true})");
    const auto out = output_after(cam, 20, [&] {
        f.frame.timestamp = os_gettime_ns();
        obs_source_output_video(cam, &f.frame);
    });
    ASSERT_EQ(out.size(), std::size_t(kW) * kH * 4);
    auto px = [&](int x, int y) { return out.data() + (std::size_t(y) * kW + x) * 4; };
    int band_opaque = 0, band = 0, text = 0, rest_alpha = 0, rest = 0;
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) {
            const std::uint8_t* p = px(x, y);
            if (x < 120 && y < 14) {
                ++band;
                band_opaque += p[3] == 255;
                text += p[0] > 200 && p[1] > 200 && p[2] > 200;
            } else if (y > 40 && !(x >= kX0 - 6 && x < kX1 + 6 && y >= kY0 - 6 && y < kY1 + 6)) {
                rest_alpha += p[3];
                ++rest;
            }
        }
    EXPECT_EQ(band_opaque, band) << "the stats band is opaque, so it reads over a keyed-out backdrop";
    EXPECT_GT(text, band / 20) << "white text in the band";
    EXPECT_LT(text, band / 2) << "text, not a white box";
    EXPECT_LT(double(rest_alpha) / rest, 10.0) << "the backdrop outside the band stays transparent";
    obs_source_filter_remove(cam, filter);
    obs_source_release(filter);
    obs_source_release(cam);
}

TEST(ObsPlugin, KeysARenderedSourceAndWithoutTheFilterTheScreenStays) {
    obs_source_t* src = obs_source_create_private("keyswap_test_rendered", "rendered", nullptr);
    ASSERT_NE(src, nullptr);
    const Verdict plain = judge(output_after(src, 5));
    EXPECT_GT(plain.background_alpha, 245.0) << "the check must see the screen when nothing keys it";
    obs_source_t* filter = add_filter(src);
    const Verdict v = judge(output_after(src, 20));
    EXPECT_LT(v.background_alpha, 10.0);
    EXPECT_GT(v.subject_alpha, 245.0);
    EXPECT_LT(v.subject_error, 8.0);
    const FilterStats st = stats_of(filter);
    EXPECT_GT(st.read_back, 0);
    EXPECT_GT(st.processed, 0);
    EXPECT_EQ(g_renders_without_effect.load(), 0) << "the filter rendered its source without the effect OBS gives sources";
    obs_source_filter_remove(src, filter);
    obs_source_release(filter);
    obs_source_release(src);
}

TEST(ObsPlugin, BadSettingsShowAMessageAndNeverTakeObsDown) {
    obs_source_t* src = obs_source_create_private("keyswap_test_rendered", "rendered", nullptr);
    // The face swap on with a source photo that does not exist.
    obs_source_t* filter = add_filter(
        src, R"({"keyswap-face-on": true, "source": [{"value": "/nonexistent/face.jpg", "selected": false, "hidden": false}]})");
    output_after(src, 10);
    obs_properties_t* props = obs_source_properties(filter);
    obs_property_t* err = obs_properties_get(props, "keyswap-error");
    ASSERT_NE(err, nullptr) << "the properties must show what is wrong";
    EXPECT_NE(std::string(obs_property_description(err)).find("face.jpg"), std::string::npos) << obs_property_description(err);
    obs_properties_destroy(props);
    // Fixed while running: the message goes and the key works.
    obs_data_t* fix = obs_data_create_from_json(R"({"keyswap-face-on": false})");
    obs_source_update(filter, fix);
    obs_data_release(fix);
    const Verdict v = judge(output_after(src, 20));
    EXPECT_LT(v.background_alpha, 10.0);
    // A screen the schema cannot read (typed into the editable list) is not applied and says
    // so in the properties too.
    obs_data_t* bad = obs_data_create_from_json(R"({"key": "turquoise-ish"})");
    obs_source_update(filter, bad);
    obs_data_release(bad);
    output_after(src, 5);
    props = obs_source_properties(filter);
    err = obs_properties_get(props, "keyswap-error");
    ASSERT_NE(err, nullptr);
    EXPECT_NE(std::string(obs_property_description(err)).find("turquoise-ish"), std::string::npos)
        << obs_property_description(err);
    obs_properties_destroy(props);
    obs_data_t* good = obs_data_create_from_json(R"({"key": "auto"})");
    obs_source_update(filter, good);
    obs_data_release(good);
    EXPECT_LT(judge(output_after(src, 10)).background_alpha, 10.0) << "a good screen again: keyed again";
    // Removed while frames flow: the worker is joined, OBS goes on.
    obs_source_filter_remove(src, filter);
    obs_source_release(filter);
    const Verdict after = judge(output_after(src, 5));
    EXPECT_GT(after.background_alpha, 245.0);
    obs_source_release(src);
}

// The face swap through the plugin: source photos from the properties' file list.
TEST(ObsPlugin, SwapsAFaceWithTheSourcePhotoFromItsProperties) {
    if (!keyswap::test::has_asset("faces/obama-720p.jpg") || !keyswap::test::has_asset("faces/biden.jpg"))
        GTEST_SKIP() << "missing assets";
    obs_data_t* img = obs_data_create();
    obs_data_set_string(img, "image", keyswap::test::asset("faces/obama-720p.jpg").c_str());
    obs_source_t* src = obs_source_create_private("keyswap_test_rendered", "photo", img);
    obs_data_release(img);
    const auto before = output_after(src, 3);
    const std::string settings = std::string(R"({"keyswap-key-on": false, "keyswap-face-on": true, "source": [{"value": ")") +
                                 keyswap::test::asset("faces/biden.jpg").string() + R"(", "selected": false, "hidden": false}]})";
    obs_source_t* filter = add_filter(src, settings.c_str());
    // The first result waits for the pass to load the photo and models: up to a minute on a
    // loaded machine.
    std::vector<std::uint8_t> after;
    for (int i = 0; i < 90 && stats_of(filter).processed < 5; ++i) after = output_after(src, 10);
    after = output_after(src, 5);
    ASSERT_GT(stats_of(filter).processed, 0);
    if (const char* dir = std::getenv("KEYSWAP_OBS_SHOTS")) {
        keyswap::Frame shot;
        shot.rgba = keyswap::ImageU8(kW, kH, 4);
        std::memcpy(shot.rgba.data(), after.data(), after.size());
        keyswap::io::write_image(fs::path(dir) / "obs-face.png", shot);
    }
    // Where the face is (the middle of the frame) the picture changed; the corners did not.
    auto mean_diff = [&](int x0, int y0, int x1, int y1) {
        double d = 0;
        for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x)
                for (int k = 0; k < 3; ++k) d += std::abs(int(after[(std::size_t(y) * kW + x) * 4 + k]) - int(before[(std::size_t(y) * kW + x) * 4 + k]));
        return d / (3.0 * (x1 - x0) * (y1 - y0));
    };
    double face = 0;
    for (int y = 0; y + 40 <= kH; y += 20)
        for (int x = 0; x + 40 <= kW; x += 20) face = std::max(face, mean_diff(x, y, x + 40, y + 40));
    EXPECT_GT(face, 8.0) << "no part of the face changed";
    EXPECT_LT(mean_diff(0, 0, 40, 40), 1.0) << "the swap must stay on the face";
    EXPECT_GT(after[3], 250) << "without keying the picture stays opaque";
    obs_source_filter_remove(src, filter);
    obs_source_release(filter);
    obs_source_release(src);
}

// OBS's own sources: a media source playing a clip of a face on a green screen (async, so its
// CPU frames are taken) and an image source showing one of its frames (rendered, read back).
class RealSources : public ::testing::Test {
protected:
    void SetUp() override {
        if (!g_real_sources) {
            if (std::getenv("KEYSWAP_REQUIRE_OBS") && std::string(std::getenv("KEYSWAP_REQUIRE_OBS")) == "1")
                FAIL() << "OBS's image and media source modules are missing (obs-studio)";
            GTEST_SKIP() << "OBS's image and media source modules are missing (obs-studio)";
        }
        if (!keyswap::test::has_asset("faces/biden.jpg")) GTEST_SKIP() << "missing assets";
        dir = fs::temp_directory_path() / ("keyswap-obs-real-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        ASSERT_EQ(keyswap::test::run_cli("demo --frames 60 --out " + dir.string()).exit_code, 0);
        clip = dir / "green-screen-scene.mp4";
        ASSERT_EQ(std::system(("ffmpeg -v error -y -ss 0.5 -i '" + clip.string() + "' -frames:v 1 '" + (dir / "frame.png").string() + "'").c_str()), 0);
    }
    void TearDown() override {
        std::error_code ec;
        if (!dir.empty()) fs::remove_all(dir, ec);
    }
    std::string settings(bool face) const {
        return std::string(R"({"keyswap-face-on": )") + (face ? "true" : "false") +
               R"(, "source": [{"value": ")" + keyswap::test::asset("faces/biden.jpg").string() + R"(", "hidden": false}]})";
    }
    // Renders `src` at its own size until the filter has `results` more results.
    std::vector<std::uint8_t> settle(obs_source_t* src, obs_source_t* filter, long long results) {
        obs_set_output_source(0, src);
        const long long start = stats_of(filter).processed;
        std::vector<std::uint8_t> px;
        for (int i = 0; i < 1800 && (w == 0 || stats_of(filter).processed < start + results); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(33));
            w = int(obs_source_get_width(src));
            h = int(obs_source_get_height(src));
        }
        EXPECT_GT(w, 0) << "the source never showed a frame";
        if (w > 0) px = render_source(src, w, h);
        obs_set_output_source(0, nullptr);
        return px;
    }
    double mean(const std::vector<std::uint8_t>& px, int x0, int y0, int x1, int y1, int channel) const {
        double sum = 0;
        for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x) sum += px[(std::size_t(y) * w + x) * 4 + channel];
        return sum / double((x1 - x0) * (y1 - y0));
    }
    double diff(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b, int x0, int y0, int x1, int y1) const {
        double sum = 0;
        for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x)
                for (int k = 0; k < 3; ++k) sum += std::abs(int(a[(std::size_t(y) * w + x) * 4 + k]) - int(b[(std::size_t(y) * w + x) * 4 + k]));
        return sum / double(3 * (x1 - x0) * (y1 - y0));
    }
    fs::path dir, clip;
    int w = 0, h = 0;
};

TEST_F(RealSources, MediaSourceClipIsKeyedFromItsCpuFrames) {
    obs_data_t* ms = obs_data_create();
    obs_data_set_bool(ms, "is_local_file", true);
    obs_data_set_string(ms, "local_file", clip.c_str());
    obs_data_set_bool(ms, "looping", true);
    obs_source_t* media = obs_source_create_private("ffmpeg_source", "clip", ms);
    obs_data_release(ms);
    ASSERT_NE(media, nullptr);
    obs_source_t* filter = add_filter(media, settings(true).c_str());
    const auto px = settle(media, filter, 5);
    ASSERT_EQ(w, 1280);
    // The demo scene: the green screen fills the top corners; the person (who moves about)
    // covers a fifth to a third of the frame, opaque, and the rest of the screen is gone.
    EXPECT_LT(mean(px, 0, 0, 200, 150, 3), 10.0) << "the backdrop must be transparent";
    EXPECT_LT(mean(px, 1080, 0, 1280, 150, 3), 10.0);
    std::size_t opaque = 0, clear = 0;
    for (std::size_t i = 3; i < px.size(); i += 4) {
        opaque += px[i] > 245;
        clear += px[i] < 10;
    }
    const double n = double(px.size() / 4);
    EXPECT_GT(opaque / n, 0.15) << "the subject must be opaque";
    EXPECT_GT(clear / n, 0.4) << "the screen must be transparent";
    const FilterStats st = stats_of(filter);
    EXPECT_GT(st.from_cpu, 0) << "a media source's frames are taken on the CPU";
    EXPECT_EQ(st.read_back, 0);
    obs_source_filter_remove(media, filter);
    obs_source_release(filter);
    obs_source_release(media);
}

TEST_F(RealSources, ImageSourceIsKeyedAndItsFaceSwapped) {
    obs_data_t* is = obs_data_create();
    obs_data_set_string(is, "file", (dir / "frame.png").c_str());
    obs_source_t* image = obs_source_create_private("image_source", "frame", is);
    obs_data_release(is);
    ASSERT_NE(image, nullptr);
    obs_source_t* filter = add_filter(image, settings(false).c_str());
    const auto keyed = settle(image, filter, 5);
    ASSERT_EQ(w, 1280);
    EXPECT_LT(mean(keyed, 0, 0, 200, 150, 3), 10.0) << "the backdrop must be transparent";
    EXPECT_GT(mean(keyed, 480, 560, 560, 640, 3), 245.0) << "the subject must be opaque";
    EXPECT_GT(stats_of(filter).read_back, 0);
    obs_data_t* on = obs_data_create_from_json(settings(true).c_str());
    obs_source_update(filter, on);
    obs_data_release(on);
    const auto swapped = settle(image, filter, 5);
    if (const char* shots = std::getenv("KEYSWAP_OBS_SHOTS")) {
        keyswap::Frame shot;
        shot.rgba = keyswap::ImageU8(w, h, 4);
        std::memcpy(shot.rgba.data(), swapped.data(), swapped.size());
        keyswap::io::write_image(fs::path(shots) / "obs-headless.png", shot);
    }
    // The face (upper middle of the frame) changed; the suit below it did not.
    double face = 0;
    for (int y = 60; y + 60 <= 360; y += 30)
        for (int x = 480; x + 60 <= 800; x += 30) face = std::max(face, diff(keyed, swapped, x, y, x + 60, y + 60));
    EXPECT_GT(face, 8.0) << "the swap did not change the face";
    EXPECT_LT(diff(keyed, swapped, 480, 560, 560, 640), 2.0) << "the swap must stay on the face";
    EXPECT_LT(mean(swapped, 0, 0, 200, 150, 3), 10.0) << "still keyed";
    obs_source_filter_remove(image, filter);
    obs_source_release(filter);
    obs_source_release(image);
}

TEST(ObsPlugin, PropertiesComeFromTheSchemaAndASettingsFileLoads) {
    obs_source_t* src = obs_source_create_private("keyswap_test_rendered", "rendered", nullptr);
    obs_source_t* filter = add_filter(src);
    obs_properties_t* props = obs_source_properties(filter);
    for (const char* key : {"key", "clip-black", "despill", "source", "faces", "mask", "light-wrap", "background"})
        EXPECT_NE(obs_properties_get(props, key), nullptr) << key;
    obs_data_t* s = obs_source_get_settings(filter);
    EXPECT_DOUBLE_EQ(obs_data_get_double(s, "despill"), 1.0) << "defaults come from the schema";
    EXPECT_TRUE(obs_data_get_bool(s, "local-black"));
    // The same JSON `keyswap --settings` reads, loaded with the button.
    const fs::path file = fs::temp_directory_path() / ("keyswap-obs-settings-" + std::to_string(::getpid()) + ".json");
    {
        std::ofstream(file) << R"({"keyswap-settings": 1, "key": {"despill": 0.25, "local-black": false, "key": "#00FF40"}, "compose": {"light-wrap": true}})";
    }
    obs_data_set_string(s, "keyswap-settings-file", file.c_str());
    obs_source_update(filter, s);
    obs_data_release(s);
    obs_property_t* load = obs_properties_get(props, "keyswap-load");
    ASSERT_NE(load, nullptr);
    obs_property_button_clicked(load, filter);
    s = obs_source_get_settings(filter);
    EXPECT_DOUBLE_EQ(obs_data_get_double(s, "despill"), 0.25);
    EXPECT_FALSE(obs_data_get_bool(s, "local-black"));
    EXPECT_TRUE(obs_data_get_bool(s, "light-wrap"));
    EXPECT_STREQ(obs_data_get_string(s, "key"), "#00FF40");
    obs_data_release(s);
    // A bad file changes nothing.
    {
        std::ofstream(file) << R"({"keyswap-settings": 1, "key": {"despill": 7}})";
    }
    obs_property_button_clicked(load, filter);
    s = obs_source_get_settings(filter);
    EXPECT_DOUBLE_EQ(obs_data_get_double(s, "despill"), 0.25);
    obs_data_release(s);
    obs_properties_destroy(props);
    fs::remove(file);
    obs_source_filter_remove(src, filter);
    obs_source_release(filter);
    obs_source_release(src);
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new Obs);
    return RUN_ALL_TESTS();
}
