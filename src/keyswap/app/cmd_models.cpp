// keyswap models [--json]: the model types keyswap runs, with the signature each expects,
// where users get it and its licence (docs/MODELS.md says more).
// keyswap models check FILE: what an ONNX file is and how keyswap can use it. It tries the
// loaders themselves (each checks the signature it needs), so this never disagrees with what
// `--detector` or `--key ai:` would do with the file.
#include <nlohmann/json.hpp>

#include <functional>
#include <iostream>

#include "keyswap/app/command.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/face/arcface.hpp"
#include "keyswap/face/detector.hpp"
#include "keyswap/face/enhancer.hpp"
#include "keyswap/face/neural_swapper.hpp"
#include "keyswap/face/occlusion_model.hpp"
#include "keyswap/infer/onnx_model.hpp"
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
    {"XSeg occlusion mask", "--occlusion-model FILE", "[1,256,256,3] (BGR 0..1) -> [1,256,256,1] (1 = face)",
     "DeepFaceLab / FaceFusion", "GPL-3.0"},
    {"RVM robust video matting", "not yet", "src + 4 recurrent states -> fgr, pha + states", "PeterL1n/RobustVideoMatting",
     "GPL-3.0"},
};

void list(bool json) {
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& t : kTypes)
            out.push_back({{"type", t.name}, {"use", t.use}, {"signature", t.signature}, {"source", t.source},
                           {"licence", t.licence}});
        std::cout << out.dump(2) << "\n";
        return;
    }
    for (const auto& t : kTypes)
        std::cout << t.name << "\n  use:       " << t.use << "\n  signature: " << t.signature << "\n  get it:    "
                  << t.source << "\n  licence:   " << t.licence << "\n";
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
        {"occlusion model", "--occlusion-model " + path,
         [&] {
             face::ModelOcclusion o(path);
             return std::string();
         }},
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
    cmd->callback([cmd, json] {
        if (cmd->get_subcommands().empty()) list(*json);
    });
}

const CommandRegistrar reg("models", add_models);

}  // namespace
}  // namespace keyswap::app
