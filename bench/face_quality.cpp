// face_quality: measures the face swap for docs/bench-face.md.
//   face_quality swap OUT.png TARGET SOURCE...     swap, write the picture, print identity and
//                                                  landmark numbers
//   face_quality jitter VIDEO SOURCE [frames]      landmark jitter of the swapped face, with and
//                                                  without smoothing, and per-stage ms
//   face_quality time WIDTHxHEIGHT TARGET SOURCE   per-stage ms on a still scaled to that size
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <cstdio>
#include <cstring>
#include <string>

#include "keyswap/face/face_swapper.hpp"

using namespace keyswap;
using namespace keyswap::face;

namespace {

ImageU8 from_mat(const cv::Mat& bgr) {
    ImageU8 out(bgr.cols, bgr.rows, 4);
    cv::Mat dst(bgr.rows, bgr.cols, CV_8UC4, out.data());
    cv::cvtColor(bgr, dst, cv::COLOR_BGR2RGBA);
    return out;
}
ImageU8 load(const std::string& path) {
    const cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
    if (m.empty()) throw std::runtime_error("cannot read " + path);
    return from_mat(m);
}
void save(const std::string& path, const ImageU8& rgba) {
    const cv::Mat src(rgba.height(), rgba.width(), CV_8UC4, const_cast<std::uint8_t*>(rgba.data()));
    cv::Mat bgr;
    cv::cvtColor(src, bgr, cv::COLOR_RGBA2BGR);
    cv::imwrite(path, bgr);
}
std::vector<SourceImage> sources(char** first, char** last) {
    std::vector<SourceImage> out;
    for (char** p = first; p != last; ++p) out.push_back({*p, load(*p)});
    return out;
}
// The single largest face's raw landmarks (analyser on a still).
const Track* largest(const std::vector<Track>& t) {
    const Track* best = nullptr;
    for (auto& x : t)
        if (!best || inter_ocular(x.raw) > inter_ocular(best->raw)) best = &x;
    return best;
}

int swap_cmd(int argc, char** argv) {
    const std::string out = argv[2];
    const ImageU8 target = load(argv[3]);
    auto srcs = sources(argv + 4, argv + argc);
    FaceSettings s;
    FaceSwapper swapper(s, srcs);
    Frame f;
    f.rgba = target;
    ThreadPool pool(0);
    swapper.process(f, nullptr, pool);
    save(out, f.rgba);

    FaceAnalyser an(AnalyserSettings{});
    const Track* t0 = largest(an.analyse(target.view()));
    if (!t0) return std::printf("no face in target\n"), 1;
    const Landmarks lt = t0->raw;
    const Embedding et = an.embed(target.view(), lt);
    const Track* t1 = largest(an.analyse(f.rgba.view()));
    if (!t1) return std::printf("no face in output\n"), 1;
    const Landmarks lo = t1->raw;
    const Embedding eo = an.embed(f.rgba.view(), lo);
    double err = 0;
    for (int i = 0; i < kLandmarks; ++i) err += cv::norm(lo[i] - lt[i]);
    err /= kLandmarks * inter_ocular(lt);
    const float d_src = swapper.library().distance(eo);
    const float d_tgt = embedding_distance(eo, et);
    const float d_src_tgt = swapper.library().distance(et);
    // Close-up for looking at seams: target | swapped, around the face.
    {
        const cv::Rect2f b = bounds(make_mesh(lt));
        const float m = 0.35f * b.width;
        const cv::Rect r = cv::Rect(cv::Point(int(b.x - m), int(b.y - m)), cv::Point(int(b.br().x + m), int(b.br().y + m))) &
                           cv::Rect(0, 0, target.width(), target.height());
        const cv::Mat a(target.height(), target.width(), CV_8UC4, const_cast<std::uint8_t*>(target.data()));
        const cv::Mat o(f.rgba.height(), f.rgba.width(), CV_8UC4, f.rgba.data());
        cv::Mat pair, bgr;
        cv::hconcat(a(r), o(r), pair);
        cv::cvtColor(pair, bgr, cv::COLOR_RGBA2BGR);
        cv::imwrite(out.substr(0, out.size() - 4) + "_closeup.png", bgr);
    }
    std::printf("%s  out->source %.3f  out->target %.3f  (source->target %.3f)  landmark error %.4f IOD\n", out.c_str(),
                d_src, d_tgt, d_src_tgt, err);
    return 0;
}

// Landmark jitter: mean |second difference| of the landmarks per frame (what is left after
// removing steady motion), in inter-ocular distances, over frames where one face is swapped.
double accel(const std::vector<Landmarks>& seq) {
    if (seq.size() < 3) return 0;
    double s = 0;
    for (std::size_t k = 2; k < seq.size(); ++k) {
        double a = 0;
        for (int i = 0; i < kLandmarks; ++i) a += cv::norm(seq[k - 2][i] - 2 * seq[k - 1][i] + seq[k][i]);
        s += a / kLandmarks / inter_ocular(seq[k]);
    }
    return s / double(seq.size() - 2);
}

// jitter VIDEO SOURCE [frames] [width]: runs the swap over the clip (frames scaled to `width`
// if given) with smoothing off and on; prints per-stage ms, worst frame, and jitter of
// (a) the tracker's landmarks, raw and as used by the swap, (b) landmarks re-detected on the
// swapped output.
int jitter_cmd(int argc, char** argv) {
    const std::string video = argv[2];
    auto srcs = sources(argv + 3, argv + 4);
    const int max_frames = argc > 4 ? std::atoi(argv[4]) : 240;
    const int width = argc > 5 ? std::atoi(argv[5]) : 0;
    // Further arguments key=value: face settings (e.g. color-match=lab-shading), for an anchor.
    FaceSettings base;
    for (int i = 6; i < argc; ++i) {
        const std::string a = argv[i];
        const auto eq = a.find('=');
        if (eq == std::string::npos) throw std::runtime_error("expected key=value: " + a);
        face_params().set(base, a.substr(0, eq), a.substr(eq + 1));
    }
    for (int smooth = 0; smooth < 2; ++smooth) {
        FaceSettings s = base;
        s.smooth = smooth;
        FaceSwapper swapper(s, srcs);
        FaceAnalyser measure(AnalyserSettings{.detect_every = 1, .smooth = false});
        cv::VideoCapture cap(video);
        ThreadPool pool(0);
        StageTimes times;
        cv::Mat bgr, scaled;
        std::vector<std::vector<Landmarks>> raw(1), used(1), out(1);
        int frames = 0, swapped = 0;
        double worst = 0, total = 0;
        while (frames < max_frames && cap.read(bgr)) {
            if (width > 0) cv::resize(bgr, scaled, cv::Size(width, bgr.rows * width / bgr.cols), 0, 0, cv::INTER_LINEAR);
            Frame f;
            f.rgba = from_mat(width > 0 ? scaled : bgr);
            f.index = frames;
            f.time = frames / 24.0;
            Stopwatch sw;
            const FrameFaces r = swapper.process(f, nullptr, pool, &times);
            const double ms = sw.ms();
            total += ms;
            if (frames > 0) worst = std::max(worst, ms);
            swapped += r.swapped;
            ++frames;
            const Track* o = r.swapped == 1 ? largest(measure.analyse(f.rgba.view())) : nullptr;
            if (!o || swapper.tracks().size() != 1) {  // a gap: start new sequences
                if (!raw.back().empty()) raw.emplace_back(), used.emplace_back(), out.emplace_back();
                continue;
            }
            raw.back().push_back(swapper.tracks()[0].raw);
            used.back().push_back(swapper.tracks()[0].smooth);
            out.back().push_back(o->raw);
        }
        auto mean_accel = [](const std::vector<std::vector<Landmarks>>& seqs) {
            double s = 0;
            long n = 0;
            for (auto& q : seqs)
                if (q.size() >= 3) s += accel(q) * double(q.size() - 2), n += long(q.size() - 2);
            return n ? s / double(n) : 0.0;
        };
        std::printf("smooth=%d %dx%d frames=%d swapped=%d | ms/frame: total %.2f (detect %.2f landmarks %.2f swap %.2f "
                    "blend %.2f) worst %.1f | jitter IOD: tracker raw %.4f, swap uses %.4f, output re-detected %.4f\n",
                    smooth, width > 0 ? width : int(cap.get(cv::CAP_PROP_FRAME_WIDTH)),
                    width > 0 ? int(cap.get(cv::CAP_PROP_FRAME_HEIGHT)) * width / int(cap.get(cv::CAP_PROP_FRAME_WIDTH))
                              : int(cap.get(cv::CAP_PROP_FRAME_HEIGHT)),
                    frames, swapped, total / frames, times.mean_ms("face.detect"), times.mean_ms("face.landmarks"),
                    times.mean_ms("face.swap"), times.mean_ms("face.blend"), worst, mean_accel(raw), mean_accel(used),
                    mean_accel(out));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc >= 5 && !std::strcmp(argv[1], "swap")) return swap_cmd(argc, argv);
        if (argc >= 4 && !std::strcmp(argv[1], "jitter")) return jitter_cmd(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "face_quality: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: face_quality swap OUT.png TARGET SOURCE... | jitter VIDEO SOURCE [frames]\n");
    return 2;
}
