#include "keyswap/face/colour_transfer.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace keyswap::face {

namespace {
// Spread of channel `c` inside `area` around its best plane over the image (x, y): the colour
// of the face itself, without a gradient of coloured light across it. Sampled on a grid of
// about 48x48 points whatever the face's size.
double detrended_sd(const cv::Mat& lab, const cv::Mat& area, int c) {
    const cv::Rect box = cv::boundingRect(area);
    if (box.width < 2 || box.height < 2) return 0;
    const int step = std::max(1, std::max(box.width, box.height) / 48);
    cv::Matx33d ata = cv::Matx33d::zeros();
    cv::Vec3d atb(0, 0, 0);
    std::vector<cv::Vec3f> pts;  // u, v, value
    for (int y = box.y; y < box.br().y; y += step) {
        const auto* a = area.ptr<std::uint8_t>(y);
        const auto* p = lab.ptr<cv::Vec3f>(y);
        for (int x = box.x; x < box.br().x; x += step)
            if (a[x]) pts.push_back({static_cast<float>(x - box.x) / box.width, static_cast<float>(y - box.y) / box.height, p[x][c]});
    }
    if (pts.size() < 8) return 0;
    for (const auto& q : pts) {
        const cv::Vec3d b(1, q[0], q[1]);
        ata += b * b.t();
        atb += b * static_cast<double>(q[2]);
    }
    cv::Vec3d k;
    if (!cv::solve(ata, atb, k, cv::DECOMP_CHOLESKY)) return 0;
    double ss = 0;
    for (const auto& q : pts) {
        const double r = q[2] - (k[0] + k[1] * q[0] + k[2] * q[1]);
        ss += r * r;
    }
    return std::sqrt(ss / static_cast<double>(pts.size()));
}
}  // namespace

void ColourMatcher::add_shading(const cv::Mat& area, float sigma) {
    // Lightness only: chroma differences at this scale are mostly identity (beard, make-up).
    // The blur runs at 1/f resolution (the result is smooth anyway), which makes it cheap.
    const int f = std::max(1, static_cast<int>(sigma / 3.0f));
    const cv::Size small((s_.cols + f - 1) / f, (s_.rows + f - 1) / f);
    area.convertTo(areaf_, CV_32F, 1.0 / 255.0);
    cv::extractChannel(s_, ls_, 0);
    cv::extractChannel(t_, lt_, 0);
    // Normalised convolution: blur(v * a) / blur(a) averages face pixels only, so the
    // background around the face does not bleed into the shading estimate.
    cv::multiply(ls_, areaf_, ls_);
    cv::multiply(lt_, areaf_, lt_);
    const cv::Mat* in[3] = {&ls_, &lt_, &areaf_};
    cv::Mat* out[3] = {&blur_s_, &blur_t_, &blur_a_};
    for (int i = 0; i < 3; ++i) {
        cv::resize(*in[i], small_, small, 0, 0, cv::INTER_AREA);
        cv::GaussianBlur(small_, small_, cv::Size(0, 0), sigma / f);
        cv::resize(small_, *out[i], s_.size(), 0, 0, cv::INTER_LINEAR);
    }
    for (int y = 0; y < s_.rows; ++y) {
        auto* r = s_.ptr<cv::Vec3f>(y);
        const float* bs = blur_s_.ptr<float>(y);
        const float* bt = blur_t_.ptr<float>(y);
        const float* ba = blur_a_.ptr<float>(y);
        for (int x = 0; x < s_.cols; ++x)
            if (ba[x] > 1e-3f) r[x][0] += (bt[x] - bs[x]) / ba[x];
    }
}

void ColourMatcher::add_light(const cv::Mat& area) {
    // Sample the area on a grid (about 40x40 samples whatever the face size: the fit is smooth).
    const cv::Rect box = cv::boundingRect(area);
    if (box.width < 4 || box.height < 4) return;
    // Fit inside the area's core: its rim can hold hair, ears or background in either image.
    const int r = std::max(1, std::max(box.width, box.height) / 16);
    cv::erode(area, core_, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * r + 1, 2 * r + 1}));
    const int step = std::max(1, std::max(box.width, box.height) / 40);
    const float cx = box.x + box.width * 0.5f, cy = box.y + box.height * 0.5f;
    const float sx = 2.0f / box.width, sy = 2.0f / box.height;
    // Basis 1, u, v, u^2, uv, v^2 in box-normalised coordinates (u, v in [-1, 1]).
    auto basis = [](float u, float v, double* b) {
        b[0] = 1, b[1] = u, b[2] = v, b[3] = u * u, b[4] = u * v, b[5] = v * v;
    };
    struct Sample {
        float u, v;
        cv::Vec3f d;
    };
    std::vector<Sample> samples;
    samples.reserve(static_cast<std::size_t>((box.width / step + 1) * (box.height / step + 1)));
    for (int y = box.y; y < box.y + box.height; y += step) {
        const auto* a = core_.ptr<std::uint8_t>(y);
        const auto* ps = s_.ptr<cv::Vec3f>(y);
        const auto* pt = t_.ptr<cv::Vec3f>(y);
        for (int x = box.x; x < box.x + box.width; x += step)
            // Skin only: dark pixels (pupils, brows, nostrils, hair) say nothing about the light.
            if (a[x] && pt[x][0] > 15.0f && ps[x][0] > 15.0f) {
                // Light multiplies what a face reflects: lightness is fitted as a log ratio (so
                // dark features are not pushed to black), chroma as a difference.
                cv::Vec3f d = pt[x] - ps[x];
                d[0] = std::log(pt[x][0] / ps[x][0]);
                samples.push_back({(x - cx) * sx, (y - cy) * sy, d});
            }
    }
    if (samples.size() < 24) return;
    // Per channel: quadratic for lightness (6 terms), linear for a and b (3 terms).
    cv::Vec<double, 6> coef[3];
    for (int c = 0; c < 3; ++c) {
        const int n = c == 0 ? 6 : 3;
        std::vector<char> use(samples.size(), 1);
        for (int round = 0; round < 2; ++round) {
            cv::Mat ata = cv::Mat::zeros(n, n, CV_64F), atb = cv::Mat::zeros(n, 1, CV_64F);
            double b[6];
            for (std::size_t i = 0; i < samples.size(); ++i) {
                if (!use[i]) continue;
                basis(samples[i].u, samples[i].v, b);
                for (int r = 0; r < n; ++r) {
                    atb.at<double>(r) += b[r] * samples[i].d[c];
                    for (int k = 0; k < n; ++k) ata.at<double>(r, k) += b[r] * b[k];
                }
            }
            // A small ridge keeps the fit sane when the area is thin or the samples are few.
            for (int k = 1; k < n; ++k) ata.at<double>(k, k) += 1e-2 * static_cast<double>(samples.size());
            cv::Mat x;
            if (!cv::solve(ata, atb, x, cv::DECOMP_CHOLESKY)) break;
            coef[c] = {};
            for (int r = 0; r < n; ++r) coef[c][r] = x.at<double>(r);
            if (round == 1) break;
            // Drop samples beyond 2 standard deviations (eyes, brows or a beard that do not line
            // up between source and target) and fit again.
            double ss = 0;
            std::vector<double> res(samples.size());
            for (std::size_t i = 0; i < samples.size(); ++i) {
                basis(samples[i].u, samples[i].v, b);
                double f = 0;
                for (int r = 0; r < n; ++r) f += coef[c][r] * b[r];
                res[i] = samples[i].d[c] - f;
                ss += res[i] * res[i];
            }
            const double lim = 2.0 * std::sqrt(ss / static_cast<double>(samples.size()));
            for (std::size_t i = 0; i < samples.size(); ++i) use[i] = std::abs(res[i]) <= lim;
        }
    }
    for (int y = 0; y < s_.rows; ++y) {
        auto* r = s_.ptr<cv::Vec3f>(y);
        const float v = (y - cy) * sy;
        for (int x = 0; x < s_.cols; ++x) {
            // Outside the box the surface is held at the box's edge value: a quadratic grows fast.
            const float u = std::clamp((x - cx) * sx, -1.0f, 1.0f), vc = std::clamp(v, -1.0f, 1.0f);
            double b[6];
            basis(u, vc, b);
            double f[3] = {0, 0, 0};
            for (int c = 0; c < 3; ++c)
                for (int k = 0; k < (c == 0 ? 6 : 3); ++k) f[c] += coef[c][k] * b[k];
            // At most a factor of two either way: beyond that the fit is extrapolating.
            r[x][0] *= static_cast<float>(std::exp(std::clamp(f[0], -0.7, 0.7)));
            const float w = shade_.empty() ? 1.0f : shade_.at<float>(y, x);
            r[x][1] += w * static_cast<float>(f[1]);
            r[x][2] += w * static_cast<float>(f[2]);
        }
    }
}

void ColourMatcher::match(cv::Mat& source, const cv::Mat& target, const cv::Mat& area, float shading_sigma, bool light) {
    if (cv::countNonZero(area) < 16) return;  // too few pixels for statistics
    source.convertTo(s_, CV_32F, 1.0 / 255.0);
    target.convertTo(t_, CV_32F, 1.0 / 255.0);
    cv::cvtColor(s_, s_, cv::COLOR_RGB2Lab);
    cv::cvtColor(t_, t_, cv::COLOR_RGB2Lab);
    cv::Scalar ms, ss, mt, st;
    cv::meanStdDev(s_, ms, ss, area);
    cv::meanStdDev(t_, mt, st, area);
    cv::Vec3f gain, offset;
    for (int c = 0; c < 3; ++c) {
        // Bounded gain: a grey source (no chroma spread) must not have its noise amplified.
        double g = std::clamp(st[c] / std::max(ss[c], 1e-3), 0.5, 2.0);
        // With the light fit, chroma's spread is compared without the light's gradient: under a
        // magenta key and a green fill the target's chroma spreads far, and stretching the
        // source's own chroma to it turns brows and lips teal or purple. The fit adds the
        // gradient itself.
        if (light && c > 0) g = std::clamp(detrended_sd(t_, area, c) / std::max(detrended_sd(s_, area, c), 1e-3), 0.5, 2.0);
        // With the light fit, lightness keeps the source's own contrast (its features): the
        // target's lightness spread includes its beard, brows and shadows, and stretching the
        // source to it blows out one side of the face. The fit then sets the level and slope.
        if (light && c == 0) g = 1.0;
        gain[c] = static_cast<float>(g);
        offset[c] = static_cast<float>(mt[c] - g * ms[c]);
    }
    // Light multiplies what a surface reflects, so a colour cast moves a dark pixel's Lab chroma
    // less than a bright one's (a, b scale with lightness at a given hue): a brow under a
    // cool light is a dark cool grey, where an equal shift of a and b would paint it blue. With
    // the light fit, each pixel's chroma shift is scaled by its lightness over the face's mean
    // (at most 1, so skin at or above the mean takes the whole shift).
    shade_.release();
    if (light) {
        shade_.create(s_.size(), CV_32F);
        const float inv = 1.0f / static_cast<float>(std::max(ms[0], 1.0));
        for (int y = 0; y < s_.rows; ++y) {
            const auto* r = s_.ptr<cv::Vec3f>(y);
            float* w = shade_.ptr<float>(y);
            for (int x = 0; x < s_.cols; ++x) w[x] = std::min(1.0f, r[x][0] * inv);
        }
    }
    for (int y = 0; y < s_.rows; ++y) {
        auto* r = s_.ptr<cv::Vec3f>(y);
        const float* w = light ? shade_.ptr<float>(y) : nullptr;
        for (int x = 0; x < s_.cols; ++x) {
            r[x][0] = r[x][0] * gain[0] + offset[0];
            const float k = w ? w[x] : 1.0f;
            for (int c = 1; c < 3; ++c) r[x][c] += k * (r[x][c] * (gain[c] - 1.0f) + offset[c]);
        }
    }
    if (shading_sigma > 0.5f) add_shading(area, shading_sigma);
    if (light) add_light(area);
    cv::cvtColor(s_, s_, cv::COLOR_Lab2RGB);
    s_.convertTo(source, CV_8U, 255.0);
}

}  // namespace keyswap::face
