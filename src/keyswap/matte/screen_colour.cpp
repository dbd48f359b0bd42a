#include "keyswap/matte/screen_colour.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "keyswap/core/error.hpp"
#include "keyswap/core/params.hpp"

namespace keyswap::matte {

KeySpec parse_key(const std::string& key) {
    KeySpec k;
    if (key == "auto") return k;
    if (key.rfind("plate:", 0) == 0) {
        k.mode = KeySpec::Mode::Plate;
        k.plate_path = key.substr(6);
        if (k.plate_path.empty()) fail(ErrorKind::Usage, "--key plate: needs a file, e.g. --key plate:empty.png");
        return k;
    }
    if (key.rfind("ai:", 0) == 0) {
        k.mode = KeySpec::Mode::Ai;
        k.model_path = key.substr(3);
        if (k.model_path.empty()) fail(ErrorKind::Usage, "--key ai: needs a model file, e.g. --key ai:selfie_segmentation.onnx");
        return k;
    }
    int rgb[3];
    if (!parse_color(key, rgb))
        fail(ErrorKind::Usage,
             "invalid value '" + key + "' for --key: expected auto, green, blue, #RRGGBB, plate:FILE or ai:FILE");
    const int hi = std::max({rgb[0], rgb[1], rgb[2]}), lo = std::min({rgb[0], rgb[1], rgb[2]});
    if (hi - lo < 24)
        fail(ErrorKind::Usage, "--key " + key + " is grey; a screen colour must be saturated (or use --key plate:FILE)");
    k.mode = KeySpec::Mode::Colour;
    k.rgb = {float(rgb[0]), float(rgb[1]), float(rgb[2])};
    return k;
}

void ScreenColour::derive(double balance) {
    primary = int(std::max_element(rgb.begin(), rgb.end()) - rgb.begin());
    const int a = primary == 0 ? 1 : 0;
    const int b = primary == 2 ? 1 : 2;
    weights[primary] = 1.f;
    weights[a] = -float(balance);
    weights[b] = -float(1.0 - balance);
}

float hue6(float r, float g, float b) {
    const float hi = std::max({r, g, b}), lo = std::min({r, g, b});
    const float c = hi - lo;
    if (c <= 0.f) return 0.f;
    float h;
    if (hi == r) h = (g - b) / c;
    else if (hi == g) h = 2.f + (b - r) / c;
    else h = 4.f + (r - g) / c;
    return h < 0.f ? h + 6.f : h;
}

namespace {
constexpr int kBins = 24;                // 15 degrees each
constexpr float kMinChroma = 30.f;       // max-min below this is "not a backdrop colour"
constexpr float kMinValue = 40.f;
int bin_of(float h) { return std::min(kBins - 1, int(h * (kBins / 6.f))); }
float hue_distance(float a, float b) {
    const float d = std::fabs(a - b);
    return std::min(d, 6.f - d);
}
}  // namespace

std::optional<ScreenColour> find_screen(ImageView<const std::uint8_t> img, double balance, std::optional<float> near_hue,
                                        float min_coverage) {
    if (img.empty()) return std::nullopt;
    // ~65k samples whatever the frame size: detection is a per-clip decision, not a per-pixel one.
    const long long pixels = (long long)img.width * img.height;
    const int step = std::max(1, int(std::sqrt(double(pixels) / 65536.0)));
    int hist[kBins] = {};
    long long total = 0;
    for (int y = step / 2; y < img.height; y += step) {
        const std::uint8_t* p = img.row(y);
        for (int x = step / 2; x < img.width; x += step, ++total) {
            const float r = p[4 * x], g = p[4 * x + 1], b = p[4 * x + 2];
            const float hi = std::max({r, g, b}), lo = std::min({r, g, b});
            if (hi - lo < kMinChroma || hi < kMinValue) continue;
            const float h = hue6(r, g, b);
            if (near_hue && hue_distance(h, *near_hue) > 0.75f) continue;
            ++hist[bin_of(h)];
        }
    }
    // The peak of a 3-bin window (45 degrees) so a screen straddling two bins is counted whole.
    int best = 0, best_count = -1;
    for (int i = 0; i < kBins; ++i) {
        const int c = hist[(i + kBins - 1) % kBins] + hist[i] + hist[(i + 1) % kBins];
        if (c > best_count) best = i, best_count = c;
    }
    if (total == 0 || best_count <= 0 || float(best_count) / float(total) < min_coverage) return std::nullopt;

    // Mean colour of the window's samples, counting only the brighter half by chroma: mixed edge
    // pixels and shadows would otherwise pull the key towards the foreground.
    double sum[3] = {}, n = 0, chroma_sum = 0;
    for (int pass = 0; pass < 2; ++pass) {
        const double chroma_floor = pass == 0 ? 0.0 : 0.75 * chroma_sum / std::max(1.0, n);
        if (pass == 1) sum[0] = sum[1] = sum[2] = n = 0;
        for (int y = step / 2; y < img.height; y += step) {
            const std::uint8_t* p = img.row(y);
            for (int x = step / 2; x < img.width; x += step) {
                const float r = p[4 * x], g = p[4 * x + 1], b = p[4 * x + 2];
                const float hi = std::max({r, g, b}), lo = std::min({r, g, b});
                if (hi - lo < kMinChroma || hi < kMinValue || hi - lo < chroma_floor) continue;
                const int bi = bin_of(hue6(r, g, b));
                const int d = std::min((bi - best + kBins) % kBins, (best - bi + kBins) % kBins);
                if (d > 1) continue;
                sum[0] += r, sum[1] += g, sum[2] += b, n += 1, chroma_sum += hi - lo;
            }
        }
    }
    if (n <= 0) return std::nullopt;
    ScreenColour s;
    s.rgb = {float(sum[0] / n), float(sum[1] / n), float(sum[2] / n)};
    s.coverage = float(best_count) / float(total);
    s.derive(balance);
    return s;
}

std::string describe(const ScreenColour& s) {
    const float h = hue6(s.rgb[0], s.rgb[1], s.rgb[2]);
    const char* name = h < 0.5f || h >= 5.5f ? "red"
                       : h < 1.5f            ? "yellow"
                       : h < 2.5f            ? "green"
                       : h < 3.5f            ? "cyan"
                       : h < 4.5f            ? "blue"
                                             : "magenta";
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s screen #%02X%02X%02X (%.0f%% of frame)", name, int(std::lround(s.rgb[0])),
                  int(std::lround(s.rgb[1])), int(std::lround(s.rgb[2])), 100.0 * s.coverage);
    return buf;
}

}  // namespace keyswap::matte
