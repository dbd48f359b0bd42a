// face_devset: scores the face swap on a list of pairs of different people (docs/face-devset.md).
//   face_devset LIST OUTDIR [key=value ...]
// LIST lines: NAME SOURCE TARGET [other=PHOTO] [occ=glasses|mic]; '#' starts a comment.
// SOURCE and TARGET are image paths, optionally with "@k" = the k-th largest face (0 = largest);
// the picture is cut around that face (so group photos become single-face pictures), and
// "$A", "$D", "$V" in a path expand to the environment variables KS_FACES, KS_DLIB, KS_VIDEO.
// occ= draws a synthetic occluder with a known mask over the target's face before the swap:
//   glasses: dark frames (rims, bridge, temples) on the eyes;
//   mic: a microphone cut from a real photo (people/lin_manuel_miranda.png, by a colour key
//        inside a fixed box, see `cut_microphone`) pasted over the mouth.
// key=value pairs are face settings (e.g. color-match=lab), applied through face_params().
// Per pair it prints: distance of the result to the source photo, to another photo of the
// source person, to the original target; landmark error vs the target in inter-ocular
// distances; whether a face is still detected there; occluder MAD (mean |difference| of the
// occluder's pixels, 0..255). Writes OUTDIR/NAME.jpg = source | target | result.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "keyswap/face/face_swapper.hpp"
#include "keyswap/face/head_pose.hpp"

using namespace keyswap;
using namespace keyswap::face;

namespace {

std::string expand(std::string p) {
    for (auto [key, var] : {std::pair{"$A", "KS_FACES"}, {"$D", "KS_DLIB"}, {"$V", "KS_VIDEO"}}) {
        const auto pos = p.find(key);
        if (pos == std::string::npos) continue;
        const char* v = std::getenv(var);
        if (!v) throw std::runtime_error(std::string("set ") + var + " for " + p);
        p.replace(pos, 2, v);
    }
    return p;
}

cv::Mat read_bgr(const std::string& path) {
    cv::Mat m = cv::imread(path, cv::IMREAD_COLOR);
    if (m.empty()) throw std::runtime_error("cannot read " + path);
    return m;
}
ImageU8 to_image(const cv::Mat& bgr) {
    ImageU8 out(bgr.cols, bgr.rows, 4);
    cv::Mat dst(bgr.rows, bgr.cols, CV_8UC4, out.data());
    cv::cvtColor(bgr, dst, cv::COLOR_BGR2RGBA);
    return out;
}
cv::Mat to_bgr(const ImageU8& rgba) {
    const cv::Mat src(rgba.height(), rgba.width(), CV_8UC4, const_cast<std::uint8_t*>(rgba.data()));
    cv::Mat bgr;
    cv::cvtColor(src, bgr, cv::COLOR_RGBA2BGR);
    return bgr;
}

std::vector<Track> faces_by_size(FaceAnalyser& an, const cv::Mat& bgr) {
    const ImageU8 img = to_image(bgr);
    std::vector<Track> t = an.analyse(img.view());
    std::sort(t.begin(), t.end(), [](auto& a, auto& b) { return inter_ocular(a.raw) > inter_ocular(b.raw); });
    return t;
}

cv::Rect around(const Landmarks& l, float margin, cv::Size size) {
    const cv::Rect2f b = bounds(make_mesh(l));
    const float m = margin * std::max(b.width, b.height);
    return cv::Rect(cv::Point(int(b.x - m), int(b.y - m)), cv::Point(int(b.br().x + m), int(b.br().y + m))) &
           cv::Rect(0, 0, size.width, size.height);
}

// "path@k": the picture cut around its k-th largest face (whole picture when it has one face).
cv::Mat load_face(FaceAnalyser& an, const std::string& spec) {
    const auto at = spec.rfind('@');
    const std::string path = expand(at == std::string::npos ? spec : spec.substr(0, at));
    const int k = at == std::string::npos ? 0 : std::atoi(spec.c_str() + at + 1);
    cv::Mat img = read_bgr(path);
    const auto faces = faces_by_size(an, img);
    if (faces.size() <= static_cast<std::size_t>(k)) throw std::runtime_error("no face " + std::to_string(k) + " in " + path);
    if (faces.size() == 1) return img;
    return img(around(faces[k].raw, 0.6f, img.size())).clone();
}

// The microphone of people/lin_manuel_miranda.png: dark, low-saturation pixels inside the box
// where the microphone is in that photo (its grille and handle), as BGR + mask, cut to its box.
struct Cutout {
    cv::Mat bgr, mask;
};
Cutout cut_microphone() {
    const cv::Mat img = read_bgr(expand("$A/people/lin_manuel_miranda.png"));
    // The microphone's box in that photo, as fractions of its size (found by looking at it).
    const cv::Rect box(int(0.545 * img.cols), int(0.75 * img.rows), int(0.15 * img.cols), int(0.17 * img.rows));
    cv::Mat hsv, mask;
    cv::cvtColor(img(box), hsv, cv::COLOR_BGR2HSV);
    cv::inRange(hsv, cv::Scalar(0, 0, 0), cv::Scalar(180, 90, 95), mask);
    cv::morphologyEx(mask, mask, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
    // Keep the largest connected part (the microphone), drop dark specks of the background.
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids);
    int best = 0, area = 0;
    for (int i = 1; i < n; ++i)
        if (stats.at<int>(i, cv::CC_STAT_AREA) > area) area = stats.at<int>(i, cv::CC_STAT_AREA), best = i;
    mask = labels == best;
    const cv::Rect b = cv::boundingRect(mask);
    return {img(box)(b).clone(), mask(b).clone()};
}

// Draws the occluder onto `bgr` at the face `l`; returns its mask (255 = occluder pixel).
cv::Mat add_occluder(cv::Mat& bgr, const Landmarks& l, const std::string& kind) {
    cv::Mat mask = cv::Mat::zeros(bgr.size(), CV_8U);
    const float iod = inter_ocular(l);
    if (kind == "glasses") {
        const cv::Point2f le = left_eye(l), re = right_eye(l);
        const cv::Point2f d = (re - le) * (1.0f / iod);
        const float angle = std::atan2(d.y, d.x) * 180.0f / float(CV_PI);
        const int th = std::max(2, int(iod * 0.06f));
        const cv::Size axes(int(iod * 0.32f), int(iod * 0.22f));
        for (const cv::Point2f c : {le, re}) cv::ellipse(mask, cv::Point(c), axes, angle, 0, 360, 255, th, cv::LINE_AA);
        const cv::Point2f bl = le + d * (iod * 0.32f), br = re - d * (iod * 0.32f);
        cv::line(mask, cv::Point(bl), cv::Point(br), 255, th, cv::LINE_AA);
        cv::line(mask, cv::Point(le - d * (iod * 0.32f)), cv::Point(l[0] + (l[0] - le) * 0.1f), 255, th, cv::LINE_AA);
        cv::line(mask, cv::Point(re + d * (iod * 0.32f)), cv::Point(l[16] + (l[16] - re) * 0.1f), 255, th, cv::LINE_AA);
        cv::threshold(mask, mask, 127, 255, cv::THRESH_BINARY);
        bgr.setTo(cv::Scalar(25, 20, 30), mask);
    } else if (kind == "mic") {
        static const Cutout mic = cut_microphone();
        // Scale the microphone to ~0.9 eye distances wide; its head over the lower lip.
        const float s = 0.9f * iod / float(mic.bgr.cols);
        cv::Mat m, k;
        cv::resize(mic.bgr, m, cv::Size(), s, s, cv::INTER_AREA);
        cv::resize(mic.mask, k, m.size(), 0, 0, cv::INTER_NEAREST);
        const cv::Point tl(int(l[57].x - m.cols / 2.0f), int(l[57].y - 0.1f * m.rows));
        const cv::Rect r = cv::Rect(tl, m.size()) & cv::Rect(0, 0, bgr.cols, bgr.rows);
        const cv::Rect rs(r.tl() - tl, r.size());
        m(rs).copyTo(bgr(r), k(rs));
        k(rs).copyTo(mask(r));
    } else {
        throw std::runtime_error("unknown occluder " + kind);
    }
    return mask;
}

cv::Mat tile(const cv::Mat& img, const cv::Rect& r, int h) {
    cv::Mat out;
    const double s = double(h) / r.height;
    cv::resize(img(r), out, cv::Size(std::max(1, int(r.width * s)), h), 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
    return out;
}

struct Row {
    std::string name;
    float d_src = 0, d_other = -1, d_tgt = 0, d_src_tgt = 0, lm = -1, mad = -1;
    float pose = -1, eyes = -1, mouth = -1;  // pose and expression kept: see expression_of
    bool found = false;
};

// Expression, free of the face's proportions: each eye's opening over its width (averaged),
// and the inner lips' opening over the eye distance.
std::pair<float, float> expression_of(const Landmarks& l) {
    const auto eye = [&](int a) {
        const float h = 0.5f * float(cv::norm(l[a + 1] - l[a + 5]) + cv::norm(l[a + 2] - l[a + 4]));
        return h / std::max(1e-3f, float(cv::norm(l[a + 3] - l[a])));
    };
    return {0.5f * (eye(36) + eye(42)), float(cv::norm(l[66] - l[62])) / std::max(1e-3f, inter_ocular(l))};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: face_devset LIST OUTDIR [key=value ...]\n");
        return 2;
    }
    try {
        FaceSettings settings;
        for (int i = 3; i < argc; ++i) {
            const std::string a = argv[i];
            const auto eq = a.find('=');
            if (eq == std::string::npos) throw std::runtime_error("expected key=value: " + a);
            face_params().set(settings, a.substr(0, eq), a.substr(eq + 1));
        }
        const std::string outdir = argv[2];
        std::ifstream list(argv[1]);
        if (!list) throw std::runtime_error(std::string("cannot read ") + argv[1]);
        FaceAnalyser an(AnalyserSettings{});
        ThreadPool pool(0);
        std::vector<Row> rows;
        std::string line;
        while (std::getline(list, line)) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream in(line);
            std::string name, src_spec, tgt_spec, opt, other, occ;
            in >> name >> src_spec >> tgt_spec;
            while (in >> opt) {
                if (opt.rfind("other=", 0) == 0) other = opt.substr(6);
                if (opt.rfind("occ=", 0) == 0) occ = opt.substr(4);
            }
            Row row;
            row.name = name;
            cv::Mat src, tgt;
            try {
                src = load_face(an, src_spec);
                tgt = load_face(an, tgt_spec);
            } catch (const std::exception& e) {  // a pair the analyser cannot read: say so, go on
                std::printf("%-26s SKIPPED: %s\n", name.c_str(), e.what());
                continue;
            }
            const auto tf = faces_by_size(an, tgt);
            if (tf.empty()) throw std::runtime_error("no target face in " + tgt_spec);
            const Landmarks lt = tf[0].raw;
            const float iod = inter_ocular(lt);
            cv::Mat occ_mask;
            if (!occ.empty()) occ_mask = add_occluder(tgt, lt, occ);
            // KS_DEVSET_TARGETS=1: also keep each target as swapped (to inspect with `keyswap faces --draw`).
            if (std::getenv("KS_DEVSET_TARGETS")) cv::imwrite(outdir + "/" + name + "_target.png", tgt);
            const ImageU8 tgt_img = to_image(tgt);
            const Embedding et = an.embed(tgt_img.view(), lt);

            // The source as a one-face library; --source-face picks the face nearest the cut's centre.
            FaceSettings s = settings;
            {
                auto sf = an.analyse(to_image(src).view());
                if (sf.size() > 1) {
                    std::sort(sf.begin(), sf.end(), [](auto& a, auto& b) { return a.raw[30].x < b.raw[30].x; });
                    int best = 0;
                    float bd = 1e30f;
                    for (std::size_t i = 0; i < sf.size(); ++i) {
                        const float d = float(cv::norm(sf[i].raw[30] - cv::Point2f(src.cols / 2.0f, src.rows / 2.0f)));
                        if (d < bd) bd = d, best = int(i);
                    }
                    s.source_face = best;
                }
            }
            FaceSwapper swapper(s, {{src_spec, to_image(src)}});
            for (const auto& note : swapper.library().notes()) std::printf("  note: %s\n", note.c_str());
            Frame f;
            f.rgba = tgt_img;
            swapper.process(f, nullptr, pool);

            const cv::Mat out = to_bgr(f.rgba);
            const ImageU8 out_img = to_image(out);
            row.d_src_tgt = swapper.library().distance(et);
            // The result's face: the detected face nearest the target's nose tip.
            const Track* of = nullptr;
            const auto& found = an.analyse(out_img.view());
            for (auto& t : found)
                if (cv::norm(t.raw[30] - lt[30]) < 0.5 * iod && (!of || cv::norm(t.raw[30] - lt[30]) < cv::norm(of->raw[30] - lt[30])))
                    of = &t;
            if (of) {
                row.found = true;
                const Landmarks lo = of->raw;
                const Embedding eo = an.embed(out_img.view(), lo);
                row.d_src = swapper.library().distance(eo);
                row.d_tgt = embedding_distance(eo, et);
                double err = 0;
                for (int i = 0; i < kLandmarks; ++i) err += cv::norm(lo[i] - lt[i]);
                row.lm = float(err / (kLandmarks * iod));
                // Pose (mean |difference| of yaw, pitch, roll, degrees) and expression kept: what
                // the landmark error mixes with the face's proportions, which --face-shape moves.
                const HeadPose po = estimate_pose(lo), pt = estimate_pose(lt);
                row.pose = float((std::abs(po.yaw - pt.yaw) + std::abs(po.pitch - pt.pitch) + std::abs(po.roll - pt.roll)) / 3);
                const auto [eo_open, mo_open] = expression_of(lo);
                const auto [et_open, mt_open] = expression_of(lt);
                row.eyes = std::abs(eo_open - et_open);
                row.mouth = std::abs(mo_open - mt_open);
                if (!other.empty()) {
                    const cv::Mat o = load_face(an, other);
                    const auto ofaces = faces_by_size(an, o);
                    if (!ofaces.empty()) row.d_other = embedding_distance(eo, an.embed(to_image(o).view(), ofaces[0].raw));
                }
            }
            if (!occ_mask.empty()) {
                cv::Mat diff;
                cv::absdiff(out, tgt, diff);
                const cv::Scalar m = cv::mean(diff, occ_mask);
                row.mad = float((m[0] + m[1] + m[2]) / 3);
            }
            // Contact sheet: source | target | result, faces cut out, 256 px tall (KS_DEVSET_SHEET_PX
            // for a closer look).
            {
                const char* px_env = std::getenv("KS_DEVSET_SHEET_PX");
                const int px = px_env ? std::clamp(std::atoi(px_env), 64, 2048) : 256;
                const auto sf = faces_by_size(an, src);
                const cv::Rect rs = sf.empty() ? cv::Rect(0, 0, src.cols, src.rows) : around(sf[0].raw, 0.3f, src.size());
                const cv::Rect rt = around(lt, 0.3f, tgt.size());
                cv::Mat sheet;
                cv::hconcat(std::vector<cv::Mat>{tile(src, rs, px), tile(tgt, rt, px), tile(out, rt, px)}, sheet);
                cv::imwrite(outdir + "/" + name + ".jpg", sheet, {cv::IMWRITE_JPEG_QUALITY, 88});
            }
            std::printf("%-26s d_src %.3f  d_other %s  d_tgt %.3f  (src-tgt %.3f)  lm %.4f  found %d  occMAD %s  pose %.1f  eyes %.3f  mouth %.3f\n",
                        name.c_str(), row.d_src, row.d_other < 0 ? "  -  " : cv::format("%.3f", row.d_other).c_str(),
                        row.d_tgt, row.d_src_tgt, row.lm, row.found,
                        row.mad < 0 ? "-" : cv::format("%.2f", row.mad).c_str(), row.pose, row.eyes, row.mouth);
            std::fflush(stdout);
            rows.push_back(row);
        }
        // Summary against the targets.
        int n = 0, under = 0, nearer = 0, found = 0, lm_ok = 0, nother = 0, nocc = 0;
        double sum = 0, sum_other = 0, sum_lm = 0, max_mad = 0, sum_mad = 0, sum_pose = 0, sum_eyes = 0, sum_mouth = 0;
        for (auto& r : rows) {
            ++n;
            found += r.found;
            if (!r.found) continue;
            sum += r.d_src;
            under += r.d_src < 0.6f;
            nearer += r.d_src < r.d_tgt;
            sum_lm += r.lm;
            sum_pose += r.pose, sum_eyes += r.eyes, sum_mouth += r.mouth;
            lm_ok += r.lm <= 0.05f;
            if (r.d_other >= 0) sum_other += r.d_other, ++nother;
            if (r.mad >= 0) sum_mad += r.mad, max_mad = std::max(max_mad, double(r.mad)), ++nocc;
        }
        std::printf("\nSUMMARY pairs %d | found %d | d_src mean %.3f, <0.6 in %d | nearer source than target %d | "
                    "d_other mean %.3f (%d) | landmarks mean %.4f IOD, <=0.05 in %d | occluder MAD mean %.2f max %.2f (%d) | "
                    "kept: pose %.2f deg, eye opening %.3f, mouth opening %.3f IOD\n",
                    n, found, found ? sum / found : 0.0, under, nearer, nother ? sum_other / nother : 0.0, nother,
                    found ? sum_lm / found : 0.0, lm_ok, nocc ? sum_mad / nocc : 0.0, max_mad, nocc,
                    found ? sum_pose / found : 0.0, found ? sum_eyes / found : 0.0, found ? sum_mouth / found : 0.0);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "face_devset: %s\n", e.what());
        return 1;
    }
    return 0;
}
