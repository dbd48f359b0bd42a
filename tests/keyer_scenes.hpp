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
#include <vector>

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
    float wrinkles = 0.f;                            // backdrop unevenness: relative amplitude of folds
    // What stands in front of the screen: the portrait (head, body, hair, hand, veil), or one
    // of the soft-region scenes (issue 10) that each stress one kind of partial coverage.
    enum class Layout { Portrait, Fabric, Hair, Motion } layout = Layout::Portrait;
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

// Semi-transparent fabric and glass standing apart from the body at opacities 0.2 .. 0.8, each
// with its own textured colour (a veil or scarf held out, a glass pane), plus the body.
inline SceneSpec fabric_scene(int w, int h, const std::string& texture) {
    SceneSpec s;
    s.name = "fabric";
    s.width = w, s.height = h, s.texture = texture;
    s.layout = SceneSpec::Layout::Fabric;
    s.seed = 4;
    return s;
}
// Hair at three densities (sparse wisps, medium, dense) over an uneven, noisy, folded backdrop.
inline SceneSpec hair_scene(int w, int h, const std::string& texture) {
    SceneSpec s;
    s.name = "hair";
    s.width = w, s.height = h, s.texture = texture;
    s.layout = SceneSpec::Layout::Hair;
    s.screen = {55.f, 170.f, 85.f};
    s.light_low = 0.55f, s.light_high = 1.1f, s.hot_spot = 0.3f, s.noise = 4.f, s.wrinkles = 0.12f;
    s.seed = 5;
    return s;
}
// Motion-blurred limbs: arms swung at different speeds and directions.
inline SceneSpec motion_scene(int w, int h, const std::string& texture) {
    SceneSpec s;
    s.name = "motion";
    s.width = w, s.height = h, s.texture = texture;
    s.layout = SceneSpec::Layout::Motion;
    s.seed = 6;
    return s;
}

// The fabric scene's panels, in fractions of the frame: a 3-px soft border, uniform opacity
// `op` inside, colour = the photo (shifted) mixed with `dye`.
struct Panel {
    float x0, y0, x1, y1, op;
    std::array<float, 3> dye;
    float dye_mix;
    const char* name;
};
inline const std::array<Panel, 6>& fabric_panels() {
    static const std::array<Panel, 6> panels = {{
        {0.42f, 0.08f, 0.58f, 0.45f, 0.2f, {235, 225, 215}, 0.6f, "pale chiffon"},
        {0.62f, 0.08f, 0.78f, 0.45f, 0.35f, {200, 40, 60}, 0.5f, "red scarf"},
        {0.82f, 0.08f, 0.97f, 0.45f, 0.5f, {60, 70, 190}, 0.5f, "blue veil"},
        {0.42f, 0.55f, 0.6f, 0.92f, 0.65f, {230, 190, 60}, 0.45f, "yellow silk"},
        {0.64f, 0.55f, 0.8f, 0.92f, 0.8f, {90, 60, 110}, 0.4f, "dark purple"},
        {0.84f, 0.52f, 0.97f, 0.95f, 0.3f, {205, 215, 220}, 0.85f, "glass pane (near neutral)"},
    }};
    return panels;
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

// Head and body alpha (signed distances, 1-px anti-aliasing) centred at fx * width.
inline cv::Mat1f head_and_body(const SceneSpec& s, float fx, float scale) {
    const int w = s.width, h = s.height;
    const float u = float(std::min(w, h)) * scale;
    cv::Mat1f alpha(h, w, 0.f);
    const float hx = fx * w, hy = 0.38f * h, ha = 0.16f * u, hb = 0.2f * u;
    const float bx0 = hx - 0.3f * u, bx1 = hx + 0.3f * u, by0 = hy + 0.2f * u + 0.06f * h, rad = 0.08f * u;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float px = x + 0.5f, py = y + 0.5f;
            const float ex = (px - hx) / ha, ey = (py - hy) / hb;
            const float head = (std::sqrt(ex * ex + ey * ey) - 1.f) * std::min(ha, hb);
            const float qx = std::max(std::fabs(px - 0.5f * (bx0 + bx1)) - (0.5f * (bx1 - bx0) - rad), 0.f);
            const float qy = std::max(by0 + rad - py, 0.f);
            alpha(y, x) = std::max(smooth_edge(head), smooth_edge(std::sqrt(qx * qx + qy * qy) - rad));
        }
    return alpha;
}

// premult/alpha := layer over them (layer colour straight, coverage la).
inline void over(cv::Mat3f& premult, cv::Mat1f& alpha, const cv::Mat3f& colour, const cv::Mat1f& la) {
    for (int y = 0; y < alpha.rows; ++y)
        for (int x = 0; x < alpha.cols; ++x) {
            const float a = la(y, x);
            premult(y, x) = colour(y, x) * a + premult(y, x) * (1.f - a);
            alpha(y, x) = a + alpha(y, x) * (1.f - a);
        }
}

// A keyable colour: the screen channel limited to the mean of the other two (as texture()).
inline cv::Vec3f keyable(const SceneSpec& s, cv::Vec3f c) {
    const int pc = int(std::max_element(s.screen.begin(), s.screen.end()) - s.screen.begin());
    const int oa = pc == 0 ? 1 : 0, ob = pc == 2 ? 1 : 2;
    c[pc] = std::min(c[pc], 0.5f * (c[oa] + c[ob]));
    return c;
}

// Hair strands from the top half of an ellipse (centre hx,hy, radii ha,hb): `n` wavy curves
// of length len_lo..len_hi (pixels) within the angle range [a0, a1] (radians), each with its
// own opacity and half-width, drawn as max-coverage like the portrait's strands.
inline void strands(cv::Mat1f& alpha, std::mt19937& rng, int n, float hx, float hy, float ha, float hb, float a0,
                    float a1, float len_lo, float len_hi, float op_lo, float half_lo, float half_hi) {
    std::uniform_real_distribution<float> U(0.f, 1.f);
    const int w = alpha.cols, h = alpha.rows;
    for (int i = 0; i < n; ++i) {
        const float ang = a0 + (a1 - a0) * U(rng);
        float x = hx + ha * 0.95f * std::cos(ang), y = hy + hb * 0.95f * std::sin(ang);
        float dir = ang + (U(rng) - 0.5f) * 0.7f;
        const float len = len_lo + (len_hi - len_lo) * U(rng), op = op_lo + (1.f - op_lo) * U(rng);
        const float half = half_lo + (half_hi - half_lo) * U(rng), wave = 0.02f + 0.05f * U(rng);
        for (float t = 0; t < len; t += 0.25f) {
            dir += wave * std::sin(t * 0.12f);
            x += 0.25f * std::cos(dir), y += 0.25f * std::sin(dir);
            const int cx = int(x), cy = int(y);
            for (int yy = cy - 2; yy <= cy + 2; ++yy)
                for (int xx = cx - 2; xx <= cx + 2; ++xx) {
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    const float d = std::hypot(xx + 0.5f - x, yy + 0.5f - y);
                    const float a = op * std::clamp(half + 0.5f - d, 0.f, 1.f);
                    alpha(yy, xx) = std::max(alpha(yy, xx), a);
                }
        }
    }
}

// The soft-region layouts (issue 10), as straight colour layers composited "over".
inline void soft_subject(const SceneSpec& s, const cv::Mat3f& tex, cv::Mat1f& alpha, cv::Mat3f& premult) {
    const int w = s.width, h = s.height;
    const float u = float(std::min(w, h));
    std::mt19937 rng(s.seed * 7919u);
    std::uniform_real_distribution<float> U(0.f, 1.f);
    alpha = cv::Mat1f(h, w, 0.f);
    premult = cv::Mat3f(h, w, cv::Vec3f(0, 0, 0));
    if (s.layout == SceneSpec::Layout::Fabric) {
        over(premult, alpha, tex, head_and_body(s, 0.22f, 0.9f));
        // Five fabric panels at opacities 0.2 .. 0.8 and a glass pane, each with a soft 3-px
        // border; colour = the photo (shifted, so it is not the body's) tinted towards a dye.
        const auto& panels = fabric_panels();
        for (const auto& p : panels) {
            cv::Mat1f la(h, w, 0.f);
            cv::Mat3f col(h, w);
            const int shift = int(U(rng) * 0.5f * w);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const float d = std::max({p.x0 * w - x, x - p.x1 * w, p.y0 * h - y, y - p.y1 * h});
                    la(y, x) = p.op * std::clamp(0.5f - d / 3.f, 0.f, 1.f);
                    const cv::Vec3f t = tex(y, (x + shift) % w);
                    const cv::Vec3f dye(p.dye[0], p.dye[1], p.dye[2]);
                    col(y, x) = keyable(s, dye * p.dye_mix + t * (1.f - p.dye_mix));
                }
            over(premult, alpha, col, la);
        }
    } else if (s.layout == SceneSpec::Layout::Hair) {
        cv::Mat1f a = head_and_body(s, 0.5f, 1.1f);
        const float hx = 0.5f * w, hy = 0.38f * h, ha = 0.16f * u * 1.1f, hb = 0.2f * u * 1.1f;
        const float pi = float(M_PI);
        // Left: sparse long wisps; top: medium; right: dense.
        strands(a, rng, 25, hx, hy, ha, hb, 0.95f * pi, 1.3f * pi, 0.15f * u, 0.3f * u, 0.35f, 0.2f, 0.45f);
        strands(a, rng, 90, hx, hy, ha, hb, 1.3f * pi, 1.7f * pi, 0.06f * u, 0.18f * u, 0.5f, 0.25f, 0.5f);
        strands(a, rng, 260, hx, hy, ha, hb, 1.7f * pi, 2.05f * pi, 0.05f * u, 0.16f * u, 0.6f, 0.25f, 0.55f);
        // Hair colour: dark brown with the photo's variation; skin/clothes below from the photo.
        cv::Mat3f col(h, w);
        cv::Mat1f body = head_and_body(s, 0.5f, 1.1f);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const cv::Vec3f hair = keyable(s, cv::Vec3f(95, 65, 45) * 0.7f + tex(y, x) * 0.3f);
                const float b = body(y, x);
                col(y, x) = tex(y, x) * b + hair * (1.f - b);
            }
        over(premult, alpha, col, a);
    } else {
        over(premult, alpha, tex, head_and_body(s, 0.5f, 0.9f));
        // Limbs: capsules smeared along their motion (a line kernel) by 2 .. 12% of the width.
        struct Limb {
            float x0, y0, x1, y1, r, blur, angle;
        };
        const Limb limbs[] = {
            {0.12f, 0.55f, 0.3f, 0.62f, 0.035f, 0.12f, 0.f},       // fast horizontal swing
            {0.7f, 0.6f, 0.88f, 0.45f, 0.03f, 0.06f, 1.2f},        // diagonal
            {0.78f, 0.2f, 0.92f, 0.12f, 0.025f, 0.03f, 1.57f},     // slow vertical
            {0.1f, 0.2f, 0.25f, 0.3f, 0.03f, 0.08f, 0.5f},         // free hand
        };
        for (const auto& l : limbs) {
            cv::Mat1f la(h, w, 0.f);
            const float ax = l.x0 * w, ay = l.y0 * h, bx = l.x1 * w, by = l.y1 * h, r = l.r * u;
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const float px = x + 0.5f - ax, py = y + 0.5f - ay, dx = bx - ax, dy = by - ay;
                    const float t = std::clamp((px * dx + py * dy) / (dx * dx + dy * dy), 0.f, 1.f);
                    la(y, x) = smooth_edge(std::hypot(px - t * dx, py - t * dy) - r);
                }
            const int len = std::max(3, int(l.blur * w)) | 1;
            cv::Mat1f k(len, len, 0.f);
            const float c = 0.5f * (len - 1);
            cv::line(k, {int(std::lround(c - c * std::cos(l.angle))), int(std::lround(c - c * std::sin(l.angle)))},
                     {int(std::lround(c + c * std::cos(l.angle))), int(std::lround(c + c * std::sin(l.angle)))}, 1.f, 1,
                     cv::LINE_8);
            k /= cv::sum(k)[0];
            cv::Mat3f lp(h, w);
            const int shift = int((0.15f + 0.2f * U(rng)) * w);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) lp(y, x) = tex(y, (x + shift) % w) * la(y, x);
            cv::filter2D(la, la, -1, k, {-1, -1}, 0, cv::BORDER_CONSTANT);
            cv::filter2D(lp, lp, -1, k, {-1, -1}, 0, cv::BORDER_CONSTANT);
            // A blurred layer is premultiplied already: over = lp + dst * (1 - la). OpenCV filters
            // large kernels through the DFT, which leaves rounding noise (~1e-8) over the whole
            // frame; the true layer is exactly 0 beyond the kernel's reach, so that noise is
            // cleared (it made most of the backdrop "soft" for the edge band).
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const bool none = la(y, x) < 1e-5f;
                    const float a = none ? 0.f : std::clamp(la(y, x), 0.f, 1.f);
                    if (none) lp(y, x) = cv::Vec3f(0.f, 0.f, 0.f);
                    premult(y, x) = lp(y, x) + premult(y, x) * (1.f - a);
                    alpha(y, x) = a + alpha(y, x) * (1.f - a);
                }
        }
    }
}

inline float light(const SceneSpec& s, int x, int y) {
    const float fx = (x + 0.5f) / s.width, fy = (y + 0.5f) / s.height;
    const float grad = s.light_low + (s.light_high - s.light_low) * (0.6f * fx + 0.4f * (1.f - fy));
    const float spot = s.hot_spot * std::exp(-((fx - 0.78f) * (fx - 0.78f) + (fy - 0.25f) * (fy - 0.25f)) / 0.03f);
    const float vig = 1.f - 0.25f * ((fx - 0.5f) * (fx - 0.5f) + (fy - 0.5f) * (fy - 0.5f));
    // Folds of a cloth screen: a few oblique low-frequency ridges.
    const float folds = s.wrinkles * (std::sin(23.f * fx + 9.f * fy) * std::sin(7.f * fy - 4.f * fx + 1.f) +
                                      0.5f * std::sin(41.f * fx - 17.f * fy + 2.f));
    return (grad * vig + spot) * (1.f + folds);
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
    if (s.layout == SceneSpec::Layout::Portrait) detail::subject(s, tex, a, premult);
    else detail::soft_subject(s, tex, a, premult);
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

// The measures against one scene's truth, with the edge band and the true composite computed
// once (benchmarks score hundreds of anchor settings per scene).
// Edge band: truth alpha strictly between 0 and 1, dilated by 3 px (7x7 disc). Composite: the
// straight RGBA over `bg` (magenta by default: far from green and blue screens alike).
class Measure {
public:
    explicit Measure(const Scene& truth, const std::array<float, 3>& bg = {255.f, 0.f, 255.f}) : truth_(truth), bg_(bg) {
        const int w = truth.alpha.width(), h = truth.alpha.height();
        cv::Mat1b band(h, w, std::uint8_t(0));
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const float t = truth.alpha.at(x, y);
                band(y, x) = t > 0.f && t < 1.f ? 255 : 0;
            }
        cv::dilate(band, band, cv::getStructuringElement(cv::MORPH_ELLIPSE, {7, 7}));
        composite(truth.fg, bg, truth_comp_);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                if (band(y, x)) band_.push_back(y * w + x);
    }
    // `keyed` is straight RGBA (colour = estimated foreground, A = matte).
    Errors operator()(const ImageU8& keyed) const {
        Errors e;
        const int w = truth_.alpha.width(), h = truth_.alpha.height();
        double sad = 0, sq = 0;
        for (int y = 0; y < h; ++y) {
            const float* t = truth_.alpha.row(y);
            const std::uint8_t* k = keyed.row(y);
            for (int x = 0; x < w; ++x) {
                const double d = k[4 * x + 3] / 255.0 - t[x];
                sad += std::fabs(d);
                sq += d * d;
            }
        }
        double esq = 0;
        for (int i : band_) {
            const std::uint8_t* k = keyed.data() + 4 * std::size_t(i);
            const float a = k[3] / 255.f;
            const cv::Vec3f& ct = truth_comp_(i / w, i % w);
            for (int c = 0; c < 3; ++c) {
                const double d = a * k[c] + (1 - a) * bg_[c] - ct[c];
                esq += d * d / 3.0;
            }
        }
        e.sad = sad / 1000.0;
        e.mse = sq / (double(w) * h) * 1000.0;
        e.edge_rms = std::sqrt(esq / double(std::max<std::size_t>(1, band_.size())));
        return e;
    }
    std::size_t band_pixels() const { return band_.size(); }

private:
    const Scene& truth_;
    std::array<float, 3> bg_;
    cv::Mat3f truth_comp_;
    std::vector<int> band_;
};

inline Errors measure(const Scene& truth, const ImageU8& keyed, const std::array<float, 3>& bg = {255.f, 0.f, 255.f}) {
    return Measure(truth, bg)(keyed);
}

}  // namespace keyswap::scenes
