#include "keyswap/app/demo_scene.hpp"

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"
#include "keyswap/pipeline/interrupt.hpp"

namespace keyswap::app {

namespace {

// Soft subject matte of the portrait: GrabCut from a centred head-and-shoulders rectangle.
cv::Mat cut_out(const cv::Mat& bgr) {
    cv::Mat mask(bgr.size(), CV_8U, cv::Scalar(cv::GC_BGD));
    const cv::Rect r(bgr.cols / 10, bgr.rows / 40, bgr.cols * 8 / 10, bgr.rows - bgr.rows / 40);
    cv::Mat bgd, fgd;
    cv::grabCut(bgr, mask, r, bgd, fgd, 4, cv::GC_INIT_WITH_RECT);
    cv::Mat fg = (mask == cv::GC_FGD) | (mask == cv::GC_PR_FGD);
    // Keep the largest blob so stray background specks don't float around the subject.
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(fg, labels, stats, centroids);
    int best = 0, area = 0;
    for (int i = 1; i < n; ++i)
        if (stats.at<int>(i, cv::CC_STAT_AREA) > area) area = stats.at<int>(i, cv::CC_STAT_AREA), best = i;
    cv::Mat alpha = (labels == best);
    cv::morphologyEx(alpha, alpha, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, {9, 9}));
    // Holes GrabCut leaves inside the subject (dark print on a badge taken for backdrop) would
    // show the green screen through the suit: backdrop not reaching the photo's border is subject.
    cv::Mat holes;
    cv::bitwise_not(alpha, holes);
    const int nh = cv::connectedComponentsWithStats(holes, labels, stats, centroids);
    for (int i = 1; i < nh; ++i) {
        const int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
        const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
        if (x > 0 && y > 0 && x + w < alpha.cols && y + h < alpha.rows) alpha.setTo(255, labels == i);
    }
    // GrabCut's line runs through pixels that mix the subject with the photo's own backdrop;
    // pulled in by two pixels, the soft edge below lies on the subject (see clean_edge).
    cv::erode(alpha, alpha, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
    alpha.convertTo(alpha, CV_32F, 1.0 / 255);
    cv::GaussianBlur(alpha, alpha, {0, 0}, 1.5);
    return alpha;
}

// The photo's backdrop still tints the subject's outermost pixels (a pale halo round the hair
// on skimage's astronaut), which would be baked into the generated scene and then, rightly,
// kept by the keyer. Near the edge the colour is taken from the subject further in: the colour
// averaged over the matte's solid core (normalised convolution), blended in where the core ends.
void clean_edge(cv::Mat& rgb, const cv::Mat& alpha) {
    cv::Mat core, rgbf, num, den;
    cv::compare(alpha, 0.99, core, cv::CMP_GT);
    cv::erode(core, core, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
    core.convertTo(core, CV_32F, 1.0 / 255);
    rgb.convertTo(rgbf, CV_32FC3);
    cv::Mat core3;
    cv::merge(std::vector<cv::Mat>{core, core, core}, core3);
    cv::GaussianBlur(rgbf.mul(core3), num, {0, 0}, 2.5);
    cv::GaussianBlur(core, den, {0, 0}, 2.5);
    cv::Mat keep;
    cv::GaussianBlur(core, keep, {0, 0}, 1.0);
    for (int y = 0; y < rgb.rows; ++y) {
        auto* p = rgbf.ptr<cv::Vec3f>(y);
        const auto* n = num.ptr<cv::Vec3f>(y);
        const float* d = den.ptr<float>(y);
        const float* k = keep.ptr<float>(y);
        for (int x = 0; x < rgb.cols; ++x)
            if (d[x] > 1e-3f) p[x] = p[x] * k[x] + (n[x] / d[x]) * (1.f - k[x]);
    }
    rgbf.convertTo(rgb, CV_8UC3);
}

}  // namespace

struct SceneRenderer::Impl {
    DemoSceneOptions o;
    cv::Mat subj, subj_a, backdrop, canvas;
    cv::Vec3f screen{0.16f, 0.72f, 0.25f};
    std::mt19937 rng{7};
    std::normal_distribution<float> noise{0.f, 0.012f};
};

SceneRenderer::SceneRenderer(const std::filesystem::path& portrait, const DemoSceneOptions& o)
    : impl_(std::make_unique<Impl>()) {
    auto& m = *impl_;
    m.o = o;
    const Frame photo = io::read_image(portrait);
    cv::Mat rgba(photo.rgba.height(), photo.rgba.width(), CV_8UC4, const_cast<std::uint8_t*>(photo.rgba.data()));
    cv::Mat rgb, bgr;
    cv::cvtColor(rgba, rgb, cv::COLOR_RGBA2RGB);
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    const cv::Mat alpha = cut_out(bgr);
    clean_edge(rgb, alpha);

    // Subject scaled to 90% of the frame height, standing on the bottom edge.
    const double scale = o.height * 0.9 / rgb.rows;
    cv::resize(rgb, m.subj, {}, scale, scale, cv::INTER_AREA);
    cv::resize(alpha, m.subj_a, m.subj.size(), 0, 0, cv::INTER_LINEAR);
    m.subj.convertTo(m.subj, CV_32FC3, 1.0 / 255);

    // Backdrop: studio green with a hot spot, a darker corner and sensor noise.
    m.backdrop.create(o.height, o.width, CV_32FC3);
    for (int y = 0; y < o.height; ++y) {
        auto* row = m.backdrop.ptr<cv::Vec3f>(y);
        for (int x = 0; x < o.width; ++x) {
            const double dx = (x - o.width * 0.35) / o.width, dy = (y - o.height * 0.3) / o.height;
            const double light = 1.05 - 0.9 * (dx * dx + dy * dy) - 0.15 * double(x) / o.width;
            row[x] = m.screen * static_cast<float>(std::clamp(light, 0.45, 1.15));
        }
    }
    m.canvas.create(o.height, o.width, CV_32FC3);
}

SceneRenderer::~SceneRenderer() = default;

void SceneRenderer::render(int i, Frame& frame) {
    auto& m = *impl_;
    const auto& o = m.o;
    frame.rgba.reshape(o.width, o.height, 4);
    const double t = double(i) / o.fps;
    const int ox = static_cast<int>(o.width / 2 - m.subj.cols / 2 + 60 * std::sin(t * 1.7) * o.width / 1280);
    const int oy = o.height - m.subj.rows + static_cast<int>(6 * std::sin(t * 3.1));
    m.backdrop.copyTo(m.canvas);
    for (int y = std::max(0, oy); y < std::min(o.height, oy + m.subj.rows); ++y) {
        auto* dst = m.canvas.ptr<cv::Vec3f>(y);
        const auto* src = m.subj.ptr<cv::Vec3f>(y - oy);
        const auto* a = m.subj_a.ptr<float>(y - oy);
        for (int x = std::max(0, ox); x < std::min(o.width, ox + m.subj.cols); ++x) {
            const float al = a[x - ox];
            // Spill: screen light on the subject, strongest where the subject is thin/soft.
            const float spill = 0.18f * (1.f - al) + 0.04f;
            const cv::Vec3f fg = src[x - ox] * (1.f - spill) + m.screen * spill;
            dst[x] = fg * al + dst[x] * (1.f - al);
        }
    }
    for (int y = 0; y < o.height; ++y) {
        const auto* src = m.canvas.ptr<cv::Vec3f>(y);
        std::uint8_t* d = frame.rgba.row(y);
        for (int x = 0; x < o.width; ++x) {
            for (int c = 0; c < 3; ++c) d[x * 4 + c] = cv::saturate_cast<std::uint8_t>((src[x][c] + m.noise(m.rng)) * 255.f);
            d[x * 4 + 3] = 255;
        }
    }
    frame.pts = i;
    frame.index = i;
    frame.time = t;
    frame.has_alpha = false;
}

void generate_green_screen_scene(const std::filesystem::path& portrait, const std::filesystem::path& out,
                                 const DemoSceneOptions& o) {
    SceneRenderer scene(portrait, o);
    io::VideoParams vp;
    vp.width = o.width;
    vp.height = o.height;
    vp.fps_num = o.fps;
    vp.fps_den = 1;
    vp.tb_num = 1;
    vp.tb_den = o.fps;
    io::EncodeOptions enc;
    enc.crf = 16;
    io::MediaWriter writer(out, vp, enc);
    Frame frame;
    for (int i = 0; i < o.frames; ++i) {
        // Ctrl-C: leave through the writer's destructor, which removes the partial file.
        if (pipeline::interrupt_requested()) fail(ErrorKind::Interrupted, "interrupted; no output written", out.string());
        scene.render(i, frame);
        writer.write(frame);
    }
    writer.finish();
}

}  // namespace keyswap::app
