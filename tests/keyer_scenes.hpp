#pragma once
// Synthetic green/blue-screen scenes with exact ground truth, shared by the keyer tests and
// bench/keyer_vs_ffmpeg. Header-only because tests/ globs only *_test.cpp into the test binary.
//
// A scene is a real photo (the foreground texture) cut by a known soft alpha: a head and body
// with anti-aliased edges, thin hair strands, a motion-blurred hand and a semi-transparent veil.
// Screen light spills onto the subject near its edges; the backdrop is unevenly lit (gradient,
// hot spot, vignette) with sensor noise; optionally the frame goes through 4:2:0 chroma (an
// in-process simulation for tests, a real H.264 yuv420p round trip via the ffmpeg CLI for the
// bench). Ground truth: alpha and the spill-free foreground colour.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "keyswap/core/image.hpp"

namespace keyswap::scenes {

struct SceneSpec {
    std::string name = "green";
    int width = 480, height = 270;
    std::array<float, 3> screen{60.f, 175.f, 75.f};  // backdrop colour at full light
    float light_low = 0.65f, light_high = 1.1f;      // lighting gradient across the frame
    float hot_spot = 0.25f;                          // extra light in a soft spot
    float noise = 2.5f;                              // sensor noise sigma, 8-bit levels
    float spill = 0.25f;                             // screen light reflected onto edges
    bool chroma420 = true;                           // simulate 4:2:0 chroma in-process
    unsigned seed = 1;
    std::string texture;                             // photo path; empty or missing = procedural
};

struct Scene {
    ImageU8 frame;      // RGBA, what the camera recorded (A = 255)
    ImageF32 alpha;     // ground truth matte
    ImageU8 fg;         // ground truth straight foreground colour (RGBA, A = alpha)
};

inline SceneSpec green_scene(int w, int h, const std::string& texture) {
    SceneSpec s;
    s.name = "green";
    s.width = w, s.height = h, s.texture = texture;
    return s;
}
inline SceneSpec blue_scene(int w, int h, const std::string& texture) {
    SceneSpec s;
    s.name = "blue";
    s.width = w, s.height = h, s.texture = texture;
    s.screen = {35.f, 70.f, 190.f};
    s.seed = 2;
    return s;
}
// A darker, yellower green with stronger unevenness, like a cheap pop-up screen.
inline SceneSpec offgreen_scene(int w, int h, const std::string& texture) {
    SceneSpec s;
    s.name = "off-green";
    s.width = w, s.height = h, s.texture = texture;
    s.screen = {60.f, 179.f, 113.f};
    s.light_low = 0.5f, s.light_high = 1.05f, s.hot_spot = 0.35f, s.noise = 3.5f;
    s.seed = 3;
    return s;
}

namespace detail {

inline float smooth_edge(float signed_distance) { return std::clamp(0.5f - signed_distance, 0.f, 1.f); }

// RGB float texture (0..255) covering w x h; the photo's screen channel (green or blue) is
// limited to the mean of the other two, because a keyable subject holds no screen colour (that
// is what "true foreground" means).
inline cv::Mat3f texture(const SceneSpec& s) {
    cv::Mat3f t(s.height, s.width);
    cv::Mat img;
    if (!s.texture.empty() && std::filesystem::exists(s.texture)) img = cv::imread(s.texture, cv::IMREAD_COLOR);
    if (!img.empty()) {
        cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
        const double k = std::max(double(s.width) / img.cols, double(s.height) / img.rows);
        cv::resize(img, img, {}, k, k, cv::INTER_LINEAR);
        img = img(cv::Rect((img.cols - s.width) / 2, (img.rows - s.height) / 2, s.width, s.height)).clone();
        img.convertTo(t, CV_32FC3);
    } else {
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x)
                t(y, x) = {float(128 + 100 * std::sin(x * 0.05)), float(90 + 40 * std::sin(y * 0.07)), float(128 + 90 * std::cos((x + y) * 0.03))};
    }
    const int pc = int(std::max_element(s.screen.begin(), s.screen.end()) - s.screen.begin());
    const int oa = pc == 0 ? 1 : 0, ob = pc == 2 ? 1 : 2;
    for (int y = 0; y < s.height; ++y)
        for (int x = 0; x < s.width; ++x) {
            cv::Vec3f& p = t(y, x);
            p[pc] = std::min(p[pc], 0.5f * (p[oa] + p[ob]));
        }
    return t;
}

// The subject's alpha at full resolution, built in "over" layers with their premultiplied colour.
inline void subject(const SceneSpec& s, const cv::Mat3f& tex, cv::Mat1f& alpha, cv::Mat3f& premult) {
    const int w = s.width, h = s.height;
    const float u = float(std::min(w, h));  // scene unit
    alpha = cv::Mat1f(h, w, 0.f);
    // Head (ellipse) and body (rounded rectangle) via signed distances, 1-px anti-aliasing.
    const float hx = 0.5f * w, hy = 0.38f * h, ha = 0.16f * u, hb = 0.2f * u;
    const float bx0 = 0.5f * w - 0.3f * u, bx1 = 0.5f * w + 0.3f * u, by0 = 0.58f * h, rad = 0.08f * u;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float px = x + 0.5f, py = y + 0.5f;
            const float ex = (px - hx) / ha, ey = (py - hy) / hb;
            const float er = std::sqrt(ex * ex + ey * ey);
            const float head = (er - 1.f) * std::min(ha, hb);
            const float qx = std::max(std::fabs(px - 0.5f * (bx0 + bx1)) - (0.5f * (bx1 - bx0) - rad), 0.f);
            const float qy = std::max(by0 + rad - py, 0.f);
            const float body = std::sqrt(qx * qx + qy * qy) - rad;
            alpha(y, x) = std::max(smooth_edge(head), smooth_edge(body));
        }
    // Hair strands: wavy curves leaving the top of the head, ~0.7 px wide, partly transparent.
    std::mt19937 rng(s.seed * 7919u);
    std::uniform_real_distribution<float> U(0.f, 1.f);
    const int strands = 60;
    for (int i = 0; i < strands; ++i) {
        const float ang = float(M_PI) * (1.05f + 0.9f * U(rng));  // upper half of the head
        float x = hx + ha * 0.92f * std::cos(ang), y = hy + hb * 0.92f * std::sin(ang);
        float dir = ang + (U(rng) - 0.5f) * 0.6f;
        const float len = u * (0.06f + 0.12f * U(rng)), op = 0.55f + 0.45f * U(rng), half = 0.3f + 0.25f * U(rng);
        const float wave = 0.02f + 0.04f * U(rng);
        for (float t = 0; t < len; t += 0.25f) {
            dir += wave * std::sin(t * 0.15f);
            x += 0.25f * std::cos(dir), y += 0.25f * std::sin(dir);
            const int cx = int(x), cy = int(y);
            for (int yy = cy - 1; yy <= cy + 1; ++yy)
                for (int xx = cx - 1; xx <= cx + 1; ++xx) {
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    const float d = std::hypot(xx + 0.5f - x, yy + 0.5f - y);
                    const float a = op * std::clamp(half + 0.5f - d, 0.f, 1.f);
                    alpha(yy, xx) = std::max(alpha(yy, xx), a);
                }
        }
    }
    cv::Mat3f base(h, w);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) base(y, x) = tex(y, x) * alpha(y, x);

    // Motion-blurred hand: a disc smeared horizontally over ~6% of the width.
    cv::Mat1f hand(h, w, 0.f);
    const float cx = 0.2f * w, cy = 0.62f * h, r = 0.07f * u;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) hand(y, x) = smooth_edge(std::hypot(x + 0.5f - cx, y + 0.5f - cy) - r);
    cv::Mat3f hand_p(h, w);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) hand_p(y, x) = tex(y, std::min(w - 1, x + int(0.3f * w))) * hand(y, x);
    const int blur = std::max(3, int(0.06f * w)) | 1;
    cv::blur(hand, hand, {blur, 1}, {-1, -1}, cv::BORDER_CONSTANT);
    cv::blur(hand_p, hand_p, {blur, 1}, {-1, -1}, cv::BORDER_CONSTANT);

    // Veil: a pale, 45% opaque band across the lower right with soft ends.
    cv::Mat1f veil(h, w, 0.f);
    const float vx0 = 0.68f * w, vx1 = 0.95f * w, vy0 = 0.2f * h, vy1 = 0.5f * h;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float d = std::max({vx0 - x, x - vx1, vy0 - y, y - vy1});
            veil(y, x) = 0.45f * std::clamp(0.5f - d / 6.f, 0.f, 1.f);
        }

    premult = base;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            float a = alpha(y, x);
            cv::Vec3f p = premult(y, x);
            p = hand_p(y, x) + p * (1.f - hand(y, x));
            a = hand(y, x) + a * (1.f - hand(y, x));
            const float va = veil(y, x);
            p = cv::Vec3f(230.f, 225.f, 235.f) * va + p * (1.f - va);
            a = va + a * (1.f - va);
            premult(y, x) = p;
            alpha(y, x) = a;
        }
}

inline float light(const SceneSpec& s, int x, int y) {
    const float fx = (x + 0.5f) / s.width, fy = (y + 0.5f) / s.height;
    const float grad = s.light_low + (s.light_high - s.light_low) * (0.6f * fx + 0.4f * (1.f - fy));
    const float spot = s.hot_spot * std::exp(-((fx - 0.78f) * (fx - 0.78f) + (fy - 0.25f) * (fy - 0.25f)) / 0.03f);
    const float vig = 1.f - 0.25f * ((fx - 0.5f) * (fx - 0.5f) + (fy - 0.5f) * (fy - 0.5f));
    return grad * vig + spot;
}

// BT.709 limited-range 8-bit YCbCr with chroma averaged over 2x2 and repeated back, like a
// simple decoder's 4:2:0 -> RGB conversion.
inline void simulate_420(ImageU8& rgba) {
    const int w = rgba.width(), h = rgba.height();
    cv::Mat1f Y(h, w), Cb(h, w), Cr(h, w);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float r = rgba.at(x, y, 0) / 255.f, g = rgba.at(x, y, 1) / 255.f, b = rgba.at(x, y, 2) / 255.f;
            const float yy = 0.2126f * r + 0.7152f * g + 0.0722f * b;
            Y(y, x) = std::round(16 + 219 * yy);
            Cb(y, x) = 128 + 224 * (b - yy) / 1.8556f;
            Cr(y, x) = 128 + 224 * (r - yy) / 1.5748f;
        }
    for (int y = 0; y < h; y += 2)
        for (int x = 0; x < w; x += 2) {
            const int x1 = std::min(w - 1, x + 1), y1 = std::min(h - 1, y + 1);
            const float cb = std::round((Cb(y, x) + Cb(y, x1) + Cb(y1, x) + Cb(y1, x1)) / 4);
            const float cr = std::round((Cr(y, x) + Cr(y, x1) + Cr(y1, x) + Cr(y1, x1)) / 4);
            for (int yy = y; yy <= y1; ++yy)
                for (int xx = x; xx <= x1; ++xx) Cb(yy, xx) = cb, Cr(yy, xx) = cr;
        }
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float yy = (Y(y, x) - 16) / 219.f, pb = (Cb(y, x) - 128) / 224.f, pr = (Cr(y, x) - 128) / 224.f;
            const float r = yy + 1.5748f * pr, b = yy + 1.8556f * pb;
            const float g = (yy - 0.2126f * r - 0.0722f * b) / 0.7152f;
            rgba.at(x, y, 0) = std::uint8_t(std::clamp(std::lround(r * 255), 0L, 255L));
            rgba.at(x, y, 1) = std::uint8_t(std::clamp(std::lround(g * 255), 0L, 255L));
            rgba.at(x, y, 2) = std::uint8_t(std::clamp(std::lround(b * 255), 0L, 255L));
        }
}

}  // namespace detail

inline Scene make_scene(const SceneSpec& s) {
    const int w = s.width, h = s.height;
    const cv::Mat3f tex = detail::texture(s);
    cv::Mat1f a;
    cv::Mat3f premult;
    detail::subject(s, tex, a, premult);
    // Spill: screen light reaching the subject, strongest near its outline.
    cv::Mat1f near_edge;
    cv::blur(1.f - a, near_edge, {std::max(3, w / 40) | 1, std::max(3, w / 40) | 1}, {-1, -1}, cv::BORDER_REPLICATE);

    Scene out;
    out.frame = ImageU8(w, h, 4, 255);
    out.alpha = ImageF32(w, h, 1);
    out.fg = ImageU8(w, h, 4, 0);
    std::mt19937 rng(s.seed);
    std::normal_distribution<float> N(0.f, s.noise);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float al = a(y, x);
            const float L = detail::light(s, x, y);
            const float spill = s.spill * (0.2f + 0.8f * near_edge(y, x));
            out.alpha.at(x, y) = al;
            out.fg.at(x, y, 3) = std::uint8_t(std::lround(al * 255));
            for (int c = 0; c < 3; ++c) {
                const float f = al > 0 ? premult(y, x)[c] / al : 0.f;
                const float screen = s.screen[c] * L;
                const float spilled = std::min(255.f, f + spill * s.screen[c] * (f / 255.f + 0.35f));
                const float v = al * spilled + (1 - al) * screen + N(rng);
                out.frame.at(x, y, c) = std::uint8_t(std::clamp(std::lround(v), 0L, 255L));
                out.fg.at(x, y, c) = std::uint8_t(std::clamp(std::lround(f), 0L, 255L));
            }
        }
    if (s.chroma420) detail::simulate_420(out.frame);
    return out;
}

// Real 4:2:0 H.264 round trip through the ffmpeg CLI (yuv420p, CRF 16). Returns false if
// ffmpeg failed; `dir` receives the intermediate files.
inline bool h264_roundtrip(ImageU8& rgba, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    const auto raw = dir / "in.rgba", mp4 = dir / "rt.mp4", back = dir / "out.rgba";
    {
        FILE* f = std::fopen(raw.c_str(), "wb");
        if (!f) return false;
        std::fwrite(rgba.data(), 1, rgba.size(), f);
        std::fclose(f);
    }
    const std::string size = std::to_string(rgba.width()) + "x" + std::to_string(rgba.height());
    const std::string enc = "ffmpeg -v error -y -f rawvideo -pix_fmt rgba -s " + size + " -i " + raw.string() +
                            " -c:v libx264 -preset medium -crf 16 -pix_fmt yuv420p " + mp4.string();
    const std::string dec = "ffmpeg -v error -y -i " + mp4.string() + " -f rawvideo -pix_fmt rgba " + back.string();
    if (std::system(enc.c_str()) != 0 || std::system(dec.c_str()) != 0) return false;
    FILE* f = std::fopen(back.c_str(), "rb");
    if (!f) return false;
    const bool ok = std::fread(rgba.data(), 1, rgba.size(), f) == rgba.size();
    std::fclose(f);
    return ok;
}

// Straight RGBA over an opaque colour, in float.
inline void composite(const ImageU8& fg, const std::array<float, 3>& bg, cv::Mat3f& out) {
    out = cv::Mat3f(fg.height(), fg.width());
    for (int y = 0; y < fg.height(); ++y)
        for (int x = 0; x < fg.width(); ++x) {
            const float a = fg.at(x, y, 3) / 255.f;
            for (int c = 0; c < 3; ++c) out(y, x)[c] = a * fg.at(x, y, c) + (1 - a) * bg[c];
        }
}

struct Errors {
    double sad = 0;        // sum |alpha error| / 1000 (matting benchmarks' unit)
    double mse = 0;        // mean squared alpha error x 1000
    double edge_rms = 0;   // RMS composite error (8-bit levels) over the edge band
};

// `keyed` is straight RGBA (colour = estimated foreground, A = matte).
inline Errors measure(const Scene& truth, const ImageU8& keyed, const std::array<float, 3>& bg = {255.f, 0.f, 255.f}) {
    Errors e;
    const int w = truth.alpha.width(), h = truth.alpha.height();
    cv::Mat1b band(h, w, std::uint8_t(0));
    double sad = 0, sq = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float t = truth.alpha.at(x, y);
            band(y, x) = t > 0.f && t < 1.f ? 255 : 0;
            const double d = keyed.at(x, y, 3) / 255.0 - t;
            sad += std::fabs(d);
            sq += d * d;
        }
    cv::dilate(band, band, cv::getStructuringElement(cv::MORPH_ELLIPSE, {7, 7}));
    cv::Mat3f ct, ck;
    composite(truth.fg, bg, ct);
    composite(keyed, bg, ck);
    double esq = 0;
    long n = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            if (!band(y, x)) continue;
            const cv::Vec3f d = ct(y, x) - ck(y, x);
            esq += (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) / 3.0;
            ++n;
        }
    e.sad = sad / 1000.0;
    e.mse = sq / (double(w) * h) * 1000.0;
    e.edge_rms = std::sqrt(esq / std::max(1L, n));
    return e;
}

}  // namespace keyswap::scenes
