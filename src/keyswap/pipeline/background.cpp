#include "keyswap/pipeline/background.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>

#include "keyswap/core/error.hpp"
#include "keyswap/core/params.hpp"

namespace keyswap::pipeline {

void scale_rgba(const ImageU8& src, ImageU8& dst, int dst_w, int dst_h, BackgroundFit fit) {
    dst.reshape(dst_w, dst_h, 4);
    cv::Mat in(src.height(), src.width(), CV_8UC4, const_cast<std::uint8_t*>(src.data()));
    cv::Mat out(dst_h, dst_w, CV_8UC4, dst.data());
    if (fit == BackgroundFit::Stretch) {
        cv::resize(in, out, out.size(), 0, 0, cv::INTER_AREA);
        return;
    }
    const double sx = double(dst_w) / src.width(), sy = double(dst_h) / src.height();
    const double s = fit == BackgroundFit::Cover ? std::max(sx, sy) : std::min(sx, sy);
    const int w = std::max(1, static_cast<int>(std::lround(src.width() * s)));
    const int h = std::max(1, static_cast<int>(std::lround(src.height() * s)));
    cv::Mat resized;
    cv::resize(in, resized, {w, h}, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
    out.setTo(cv::Scalar(0, 0, 0, 255));
    // Centre: crop for cover (w,h >= dst), letterbox for fit (w,h <= dst).
    const int cx = (w - dst_w) / 2, cy = (h - dst_h) / 2;
    const cv::Rect src_roi(std::max(0, cx), std::max(0, cy), std::min(w, dst_w), std::min(h, dst_h));
    const cv::Rect dst_roi(std::max(0, -cx), std::max(0, -cy), src_roi.width, src_roi.height);
    resized(src_roi).copyTo(out(dst_roi));
    // Backgrounds are opaque whatever the file carried.
    for (int y = 0; y < dst_h; ++y) {
        std::uint8_t* r = dst.row(y);
        for (int x = 0; x < dst_w; ++x) r[x * 4 + 3] = 255;
    }
}

Background::Background(const std::string& spec, BackgroundFit fit, BackgroundEnd end) : spec_(spec), fit_(fit), end_(end) {
    int rgb[3];
    if (!std::filesystem::exists(spec) && parse_color(spec, rgb)) {
        is_color_ = true;
        for (int i = 0; i < 3; ++i) rgb_[i] = static_cast<std::uint8_t>(rgb[i]);
        return;
    }
    // "#..." is meant as a colour: say what a colour looks like rather than "file not found".
    if (!spec.empty() && spec[0] == '#' && !std::filesystem::exists(spec))
        fail(ErrorKind::Usage, "invalid --background colour '" + spec + "': use #RRGGBB, a colour name, or an image or video file");
    io::ReaderOptions o;
    o.want_audio = false;
    reader_ = std::make_unique<io::MediaReader>(spec, o);
    if (reader_->info().is_image) {
        if (!reader_->read(decoded_)) fail(ErrorKind::Input, "background image has no picture", spec);
        reader_.reset();
        have_decoded_ = true;
    }
}

Background::~Background() = default;

const ImageU8& Background::next(int width, int height) {
    const bool size_changed = scaled_.width() != width || scaled_.height() != height;
    if (is_color_) {
        if (!scaled_valid_ || size_changed) {
            scaled_.reshape(width, height, 4);
            for (int y = 0; y < height; ++y) {
                std::uint8_t* r = scaled_.row(y);
                for (int x = 0; x < width; ++x) r[x * 4] = rgb_[0], r[x * 4 + 1] = rgb_[1], r[x * 4 + 2] = rgb_[2], r[x * 4 + 3] = 255;
            }
            scaled_valid_ = true;
        }
        return scaled_;
    }
    if (!reader_) {  // still image
        if (!scaled_valid_ || size_changed) {
            scale_rgba(decoded_.rgba, scaled_, width, height, fit_);
            scaled_valid_ = true;
        }
        return scaled_;
    }
    advance();
    scale_rgba(decoded_.rgba, scaled_, width, height, fit_);
    return scaled_;
}

void Background::advance() {
    Frame f;
    if (reader_->read(f)) {
        decoded_ = std::move(f);
        have_decoded_ = true;
    } else if (end_ == BackgroundEnd::Loop && have_decoded_) {
        io::ReaderOptions o;
        o.want_audio = false;
        reader_ = std::make_unique<io::MediaReader>(spec_, o);
        if (reader_->read(f)) decoded_ = std::move(f);
    }
    if (!have_decoded_) fail(ErrorKind::Input, "background video has no frames", spec_);
}

void Background::skip(std::int64_t frames) {
    if (!reader_) return;
    for (std::int64_t i = 0; i < frames; ++i) advance();
}

}  // namespace keyswap::pipeline
