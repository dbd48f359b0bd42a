#include "stats_overlay.hpp"

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

namespace keyswap::obs {

void draw_stats(ImageU8& rgba, const OverlayStats& s) {
    if (rgba.channels() != 4 || rgba.width() < 16 || rgba.height() < 16) return;
    char text[160];
    std::snprintf(text, sizeof text, "keyswap %.1f fps  pass %.1f ms  latency %.1f ms  dropped %llu", s.fps, s.pass_ms,
                  s.latency_ms, s.dropped);
    cv::Mat m(rgba.height(), rgba.width(), CV_8UC4, rgba.data());
    // A 720p picture gets text 18 px high; smaller pictures scale down, never below legible.
    const double scale = std::max(0.35, 0.6 * rgba.height() / 720.0);
    const int thick = scale > 0.8 ? 2 : 1, pad = std::max(2, static_cast<int>(6 * scale));
    int base = 0;
    const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thick, &base);
    const cv::Rect band = cv::Rect(0, 0, size.width + 2 * pad, size.height + base + 2 * pad) & cv::Rect(0, 0, m.cols, m.rows);
    m(band).setTo(cv::Scalar(0, 0, 0, 255));
    cv::putText(m, text, {pad, pad + size.height}, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255, 255), thick,
                cv::LINE_AA);
}

}  // namespace keyswap::obs
