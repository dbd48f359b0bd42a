#include "keyswap/matte/garbage.hpp"

#include <cerrno>
#include <cstdlib>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>

#include "keyswap/core/error.hpp"

namespace keyswap::matte {

Rect parse_rect(const std::string& text, const std::string& key) {
    // strtol with a range check, not sscanf("%d"): an out-of-range number must be an error,
    // not undefined behaviour. 1<<20 px is far beyond any frame and keeps x+w inside int.
    constexpr long kMax = 1L << 20;
    long v[4];
    const char* p = text.c_str();
    bool ok = true;
    for (int i = 0; i < 4 && ok; ++i) {
        char* end = nullptr;
        errno = 0;
        v[i] = std::strtol(p, &end, 10);
        ok = end != p && errno == 0 && v[i] >= 0 && v[i] <= kMax && *end == (i < 3 ? ',' : '\0');
        p = end + (i < 3 ? 1 : 0);
    }
    if (!ok || v[2] == 0 || v[3] == 0)
        fail(ErrorKind::Usage, "invalid value '" + text + "' for --" + key + ": expected x,y,w,h in pixels, e.g. 0,0,200,1080");
    return Rect{static_cast<int>(v[0]), static_cast<int>(v[1]), static_cast<int>(v[2]), static_cast<int>(v[3])};
}

void RegionMatte::set_mask(const ImageU8& mask) {
    if (mask.empty()) {
        source_ = {};
        scaled_ = {};
        return;
    }
    source_.reshape(mask.width(), mask.height(), 1);
    for (int y = 0; y < mask.height(); ++y)
        for (int x = 0; x < mask.width(); ++x) source_.at(x, y) = mask.at(x, y, 0);
    scaled_ = {};
}

void RegionMatte::prepare(int width, int height) {
    if (source_.empty() || (scaled_.width() == width && scaled_.height() == height)) return;
    scaled_.reshape(width, height, 1);
    const cv::Mat src(source_.height(), source_.width(), CV_8UC1, source_.data());
    cv::Mat dst(height, width, CV_8UC1, scaled_.data());
    cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_LINEAR);
}

void RegionMatte::fill_rects_row(int y, float* alpha, int width, float value) const {
    for (const Rect& r : rects_) {
        if (y < r.y || y >= r.y + r.h) continue;
        std::fill(alpha + std::min(width, r.x), alpha + std::min(width, r.x + r.w), value);
    }
}

void RegionMatte::apply_garbage_row(int y, float* alpha, int width) const {
    fill_rects_row(y, alpha, width, 0.f);
    if (scaled_.empty()) return;
    const std::uint8_t* m = scaled_.row(y);
    for (int x = 0; x < width; ++x) alpha[x] *= 1.f - float(m[x]) * (1.f / 255.f);
}

void RegionMatte::apply_core_row(int y, float* alpha, int width) const {
    fill_rects_row(y, alpha, width, 1.f);
    if (scaled_.empty()) return;
    const std::uint8_t* m = scaled_.row(y);
    for (int x = 0; x < width; ++x) alpha[x] = std::max(alpha[x], float(m[x]) * (1.f / 255.f));
}

}  // namespace keyswap::matte
