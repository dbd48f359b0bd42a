// keyswap models [--json]: the model types keyswap runs, with the signature each expects,
// where users get it and its licence (docs/MODELS.md says more).
// keyswap models check FILE: what an ONNX file is and how keyswap can use it. It tries the
// loaders themselves (each checks the signature it needs), so this never disagrees with what
// `--detector` or `--key ai:` would do with the file.
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include "keyswap/app/command.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/face/arcface.hpp"
#include "keyswap/face/detector.hpp"
#include "keyswap/face/enhancer.hpp"
#include "keyswap/face/neural_swapper.hpp"
#include "keyswap/face/occlusion_model.hpp"
#include "keyswap/core/timing.hpp"
#include "keyswap/infer/onnx_model.hpp"
#include "keyswap/io/download.hpp"
#include "keyswap/matte/ai_matte.hpp"

namespace keyswap::app {
namespace {

struct ModelType {
    const char* name;
    const char* use;        // the option, or "not yet" for types keyswap does not run yet
    const char* signature;  // what the file must look like
    const char* source;     // where users get it
    const char* licence;
};

constexpr ModelType kTypes[] = {
    {"SCRFD face detector (det_500m, det_10g, scrfd_*_bnkps)", "--detector scrfd:FILE",
     "1 input [N,3,H,W]; outputs score_8/16/32, bbox_8/16/32, kps_8/16/32", "InsightFace model zoo (buffalo_s, buffalo_l)",
     "InsightFace: non-commercial research for the weights"},
    {"YuNet face detector (face_detection_yunet_2023mar)", "--detector yunet:FILE",
     "1 input [1,3,640,640]; outputs cls_*, obj_*, bbox_*, kps_* for strides 8, 16, 32", "OpenCV model zoo", "MIT"},
    {"MediaPipe selfie segmentation", "--key ai:FILE", "1 input [1,H,W,3] (RGB 0..1); 1 output [1,H,W,1]",
     "MediaPipe (ONNX conversion, e.g. as obs-backgroundremoval ships it)", "Apache-2.0"},
    {"SINet portrait segmentation (softmax)", "--key ai:FILE", "1 input [1,3,H,W]; 1 output [1,2,H,W]",
     "anilsathyan7/Portrait-Segmentation", "MIT"},
    {"MODNet-style portrait matting", "--key ai:FILE", "1 input [1,3,H,W] (-1..1); 1 output [1,1,H,W]", "MODNet releases",
     "Apache-2.0"},
    {"inswapper_128 face swapper", "--swapper inswapper:FILE (with --embedder)",
     "target [1,3,128,128] (RGB 0..1) + source latent [1,512] -> [1,3,128,128]; emap [512,512] as the last initializer",
     "InsightFace", "non-commercial research"},
    {"ArcFace embedder (w600k_r50)", "--embedder FILE", "[1,3,112,112] ((v-127.5)/127.5) -> [1,512]",
     "InsightFace (buffalo_l)", "non-commercial research"},
    {"GFPGAN 1.4 face enhancer", "--enhance gfpgan:FILE", "[1,3,512,512] (-1..1) -> [1,3,512,512]", "TencentARC/GFPGAN",
     "Apache-2.0"},
    {"CodeFormer face enhancer", "--enhance codeformer:FILE",
     "[1,3,512,512] (-1..1) + fidelity weight (one double, keyswap gives 0.5) -> [1,3,512,512]", "sczhou/CodeFormer",
     "S-Lab License 1.0 (non-commercial)"},
    {"XSeg occlusion mask", "--occlusion-model FILE", "[1,256,256,3] (BGR 0..1) -> [1,256,256,1] (1 = face)",
     "DeepFaceLab / FaceFusion", "GPL-3.0"},
    {"BiSeNet face parser (CelebAMask-HQ classes)", "--occlusion-model FILE",
     "[1,3,512,512] (ImageNet-normalised) -> [1,19,512,512] class scores", "zllrunning/face-parsing.PyTorch, FaceFusion",
     "MIT"},
    {"RVM robust video matting", "--key ai:FILE",
     "src [1,3,H,W] (0..1) + r1i..r4i + downsample_ratio -> fgr, pha [1,1,H,W] + r1o..r4o (fed back per frame)",
     "PeterL1n/RobustVideoMatting", "GPL-3.0"},
};

// Models `keyswap models download NAME` knows. URLs are pinned to a commit where the host is
// a repository, so the file cannot change under its checksum; the checksums were taken from
// copies checked here. Release files keyswap has no verified checksum for say so when fetched.
struct Known {
    const char* name;
    const char* file;
    const char* url;
    const char* sha256;  // "" = none verified by keyswap
    const char* use;
};

constexpr Known kKnown[] = {
    {"yunet", "face_detection_yunet_2023mar.onnx",
     "https://raw.githubusercontent.com/ShiqiYu/libfacedetection.train/0047ac24afb1a50a0c6105001c89d1b5b805dbf1/onnx/yunet_s_640_640.onnx",
     "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4", "--detector yunet:FILE"},
    {"scrfd_500m", "scrfd_500m_bnkps.onnx",
     "https://raw.githubusercontent.com/ShiqiYu/libfacedetection.train/204b0c9f687f2fd5c012988199a3cd47feb69a90/onnx/scrfd_500m_bnkps.onnx",
     "6c6ba7956684796d7d582bfa1ab95dfe01dd280159f6bff1e23c1bc32bcc8431", "--detector scrfd:FILE"},
    {"selfie_segmentation", "selfie_segmentation.onnx",
     "https://raw.githubusercontent.com/locaal-ai/obs-backgroundremoval/96aee3be33df79b731812879fb567b987d9da3ee/data/selfie_segmentation.onnx",
     "1511ab5564cb0ae179cba9bcad6ad931003ccc71656f11fd270967023678c6a5", "--key ai:FILE"},
    {"sinet", "sinet_softmax.onnx",
     "https://raw.githubusercontent.com/locaal-ai/obs-backgroundremoval/e5edfc4808f298ba101306aedf07829cbd6c8668/data/models/SINet_Softmax_simple.onnx",
     "17a75acc69747e443717dfaef152ee3c4615f2d81b0269f7c0224c47584af46a", "--key ai:FILE"},
    {"inswapper_128", "inswapper_128.onnx",
     "https://github.com/facefusion/facefusion-assets/releases/download/models/inswapper_128.onnx", "",
     "--swapper inswapper:FILE"},
    {"arcface_w600k_r50", "arcface_w600k_r50.onnx",
     "https://github.com/facefusion/facefusion-assets/releases/download/models/arcface_w600k_r50.onnx", "", "--embedder FILE"},
    {"gfpgan_1.4", "gfpgan_1.4.onnx", "https://github.com/facefusion/facefusion-assets/releases/download/models/gfpgan_1.4.onnx",
     "", "--enhance gfpgan:FILE"},
};

struct DownloadArgs {
    std::string what;       // a name from the catalogue, or a URL
    std::string to = std::string(KEYSWAP_DEFAULT_CACHE) + "/models";
    std::string sha256;     // overrides the catalogue's
    std::string catalogue;  // a JSON file of more entries (name, file, url, sha256)
};

// One line redrawn on a terminal: bytes, percent, rate.
class ByteProgress {
public:
    ByteProgress() : on_(::isatty(2)) {}
    void operator()(std::uint64_t done, std::uint64_t total) {
        if (!on_ || (shown_.ms() < 200 && done < total)) return;
        shown_.reset();
        const double mb = done / 1e6, s = std::max(1e-3, since_.ms() / 1000.0);
        if (total) std::fprintf(stderr, "\r  %.1f / %.1f MB  %3.0f%%  %.1f MB/s ", mb, total / 1e6, 100.0 * done / total, mb / s);
        else std::fprintf(stderr, "\r  %.1f MB  %.1f MB/s ", mb, mb / s);
        drawn_ = true;
    }
    ~ByteProgress() {
        if (drawn_) std::fputc('\n', stderr);
    }

private:
    bool on_, drawn_ = false;
    Stopwatch shown_, since_;
};

void download(const DownloadArgs& a) {
    namespace fs = std::filesystem;
    std::string url, file, sha = a.sha256, use;
    const bool is_url = a.what.rfind("http://", 0) == 0 || a.what.rfind("https://", 0) == 0;
    if (is_url) {
        url = a.what;
        file = url.substr(url.find_last_of('/') + 1);
        if (const auto q = file.find('?'); q != std::string::npos) file.resize(q);
        if (file.empty()) fail(ErrorKind::Usage, "cannot tell a file name from the URL '" + url + "'");
    } else {
        std::vector<Known> extra;
        nlohmann::json doc;
        if (!a.catalogue.empty()) {
            std::ifstream in(a.catalogue);
            if (!in) fail(ErrorKind::Input, "cannot read the model catalogue", a.catalogue);
            doc = nlohmann::json::parse(in, nullptr, false);
            if (!doc.is_array()) fail(ErrorKind::Input, "a model catalogue is a JSON array of {name, file, url, sha256}", a.catalogue);
            for (const auto& e : doc)
                if (e.value("name", "") == a.what) {
                    url = e.value("url", "");
                    file = e.value("file", "");
                    if (sha.empty()) sha = e.value("sha256", "");
                }
        }
        for (const auto& k : kKnown)
            if (url.empty() && a.what == k.name) {
                url = k.url;
                file = k.file;
                if (sha.empty()) sha = k.sha256;
                use = k.use;
            }
        if (url.empty()) {
            std::string names;
            for (const auto& k : kKnown) names.append(names.empty() ? "" : ", ").append(k.name);
            fail(ErrorKind::Usage, "no model called '" + a.what + "' (known: " + names + "; or give a URL)");
        }
    }
    const fs::path dest = fs::path(a.to) / file;
    ByteProgress progress;
    const io::DownloadResult r = io::download({url, dest, sha, [&](std::uint64_t d, std::uint64_t t) { progress(d, t); }});
    std::string how = r.already_there ? "already there" : r.resumed_from ? "resumed at " + std::to_string(r.resumed_from) + " bytes" : "downloaded";
    std::cout << dest.string() << ": " << how << ", " << r.bytes << " bytes, SHA-256 " << r.sha256
              << (sha.empty() ? " (no published checksum to check it against: compare it with the publisher's)" : " (matches)")
              << "\n";
    if (!use.empty()) {
        std::string u = use;
        u.replace(u.find("FILE"), 4, dest.string());
        std::cout << "use it with " << u << "\n";
    }
}

void list(bool json) {
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& t : kTypes)
            out.push_back({{"type", t.name}, {"use", t.use}, {"signature", t.signature}, {"source", t.source},
                           {"licence", t.licence}});
        nlohmann::json known = nlohmann::json::array();
        for (const auto& k : kKnown) known.push_back({{"name", k.name}, {"file", k.file}, {"url", k.url}, {"sha256", k.sha256}});
        std::cout << nlohmann::json{{"types", out}, {"downloads", known}}.dump(2) << "\n";
        return;
    }
    for (const auto& t : kTypes)
        std::cout << t.name << "\n  use:       " << t.use << "\n  signature: " << t.signature << "\n  get it:    "
                  << t.source << "\n  licence:   " << t.licence << "\n";
    std::cout << "\nkeyswap models download NAME fetches these by name:";
    for (const auto& k : kKnown) std::cout << " " << k.name;
    std::cout << "\n";
}

// Prints how keyswap can use the file; Error(Model) naming it when keyswap cannot.
void check(const std::string& path) {
    // Fails with Error(Model) naming the file when it is missing, unreadable or not ONNX.
    const infer::OnnxModel model(path, "models check", 1);
    // Each loader returns what it found (detail for the message, "" if nothing to add).
    struct Try {
        const char* what;
        std::string use;
        std::function<std::string()> load;
    };
    const Try tries[] = {
        {"SCRFD face detector", "--detector scrfd:" + path,
         [&] {
             face::FaceDetector::create({face::DetectorKind::Scrfd, path}, 800);
             return std::string();
         }},
        {"YuNet face detector", "--detector yunet:" + path,
         [&] {
             face::FaceDetector::create({face::DetectorKind::Yunet, path}, 800);
             return std::string();
         }},
        {"portrait matting model", "--key ai:" + path, [&] { return matte::AiMatte(path).description(); }},
        {"inswapper face swapper", "--swapper inswapper:" + path + " --embedder ARCFACE.onnx",
         [&] { return std::to_string(face::NeuralSwapper(path).identity_size()) + "-value identity"; }},
        {"ArcFace face embedder", "--embedder " + path,
         [&] { return std::to_string(face::ArcFaceEmbedder(path).size()) + " values"; }},
        {"GFPGAN face enhancer", "--enhance gfpgan:" + path,
         [&] {
             face::FaceEnhancer e(path);
             return std::string();
         }},
        {"CodeFormer face enhancer", "--enhance codeformer:" + path,
         [&] {
             face::FaceEnhancer e(path, face::EnhancerKind::CodeFormer);
             return std::string();
         }},
        {"occlusion model", "--occlusion-model " + path,
         [&] { return face::ModelOcclusion(path).parser() ? std::string("BiSeNet face parser, 19 classes") : std::string("XSeg layout"); }},
    };
    // Some layouts are shared (a selfie segmenter and an XSeg occluder both map [1,256,256,3]
    // to [1,256,256,1]): every kind the file fits is said, one line each.
    int fits = 0;
    for (const auto& t : tries) {
        std::string detail;
        try {
            detail = t.load();
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::Model) continue;  // another signature: try the next kind
            throw;
        }
        std::cout << path << ": " << (fits++ ? "or " : "") << t.what << (detail.empty() ? "" : " (" + detail + ")")
                  << "; use it with " << t.use << "\n";
    }
    if (fits) return;
    std::string ins, outs;
    for (const auto& i : model.inputs()) ins += (ins.empty() ? "" : ", ") + i.name + " " + infer::shape_text(i.shape);
    for (const auto& o : model.outputs()) outs += (outs.empty() ? "" : ", ") + o.name + " " + infer::shape_text(o.shape);
    fail(ErrorKind::Model,
         "an ONNX model keyswap does not use (inputs " + ins + "; outputs " + outs + "); `keyswap models` lists the kinds it runs",
         path);
}

void add_models(CLI::App& app) {
    auto json = std::make_shared<bool>(false);
    auto file = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("models", "List the neural model types keyswap runs (ONNX), or check a model file");
    cmd->add_flag("--json", *json, "Print JSON instead of text");
    auto* chk = cmd->add_subcommand("check", "Say what an ONNX file is and how keyswap can use it");
    chk->add_option("file", *file, "The .onnx file")->required();
    chk->callback([file] { check(*file); });
    auto d = std::make_shared<DownloadArgs>();
    auto* dl = cmd->add_subcommand("download", "Fetch a model by name (or URL) with a SHA-256 check; resumes an interrupted download");
    dl->add_option("model", d->what, "A known model's name (see `keyswap models`) or an http(s) URL")->required();
    dl->add_option("--to", d->to, "Folder to put it in");
    dl->add_option("--sha256", d->sha256, "The file's SHA-256, to check (overrides the catalogue's)");
    dl->add_option("--catalogue", d->catalogue, "A JSON file of more models: [{name, file, url, sha256}]");
    dl->callback([d] { download(*d); });
    cmd->callback([cmd, json] {
        if (cmd->get_subcommands().empty()) list(*json);
    });
}

const CommandRegistrar reg("models", add_models);

}  // namespace
}  // namespace keyswap::app
