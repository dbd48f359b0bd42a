// keyswap bench: frames per second and per-stage milliseconds of the frame pass, on the
// demo's generated green-screen scene (one face) at the sizes asked for. Excludes decode and
// encode, which the end-to-end comparison in bench/ measures.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "keyswap/app/command.hpp"
#include "keyswap/app/schema_docs.hpp"
#include "keyswap/app/schema_flags.hpp"
#include "keyswap/app/demo_scene.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/infer/onnx_model.hpp"
#include "keyswap/pipeline/frame_pass.hpp"

namespace keyswap::app {
namespace {

namespace fs = std::filesystem;

struct BenchArgs {
    std::vector<std::string> sizes;
    int frames = 60;
    int scene_frames = 30;
    int threads = 0;
    bool json = false;
    std::string stages = "key,face,compose";
    std::string cache = KEYSWAP_DEFAULT_CACHE;
    std::string portrait, source, background;
    // Model stages: the same values as process's --key, --detector, --swapper, ... (docs/MODELS.md).
    std::string key = "auto", detector = "hog", swapper = "classic", embedder, enhance, occlusion_model;
    infer::Provider provider = infer::Provider::Cpu;
};

const ParamTable<BenchArgs>& bench_params() {
    using S = BenchArgs;
    using T = ParamType;
    static const ParamTable<S> t("bench", {
        {"size", "Size", "Frame size WxH (repeatable; default 1280x720 and 1920x1080).", &S::sizes, T::StringList, 0, 0, "", false},
        {"frames", "Frames", "Frames timed per size.", &S::frames, T::Int, 1, 100000, "", false},
        {"stages", "Stages", "Stages to run: any of key,face,compose.", &S::stages, T::String, 0, 0, "", false},
        {"threads", "Threads", "Worker threads (0 = all cores).", &S::threads, T::Int, 0, 256, "", false},
        {"cache", "Cache", "Where scripts/setup put the sample material.", &S::cache, T::String, 0, 0, "", false},
        {"portrait", "Portrait", "Photo the green-screen scene is made from.", &S::portrait, T::String, 0, 0, "", false},
        {"source", "Source photo", "Face photo swapped in.", &S::source, T::String, 0, 0, "", false},
        {"background", "Background", "Background image for the composite.", &S::background, T::String, 0, 0, "", false},
        {"json", "JSON", "Print JSON.", &S::json, T::Bool, 0, 0, "", false},
        {"key", "Key", "The key stage's --key (auto, green, ai:FILE for a matting model, ...).", &S::key, T::String, 0, 0, "", false},
        {"detector", "Detector", "The face stage's --detector (hog, cnn, scrfd:FILE, yunet:FILE).", &S::detector, T::String, 0, 0, "", false},
        {"swapper", "Swapper", "The face stage's --swapper (classic, inswapper:FILE).", &S::swapper, T::String, 0, 0, "", false},
        {"embedder", "Embedder", "ArcFace model for --swapper inswapper.", &S::embedder, T::String, 0, 0, "", false},
        {"enhance", "Enhance", "The face stage's --enhance (gfpgan:FILE).", &S::enhance, T::String, 0, 0, "", false},
        {"occlusion-model", "Occlusion model", "The face stage's --occlusion-model.", &S::occlusion_model, T::String, 0, 0, "", false},
        {"execution-provider", "Execution provider", "Where ONNX models run (cpu, cuda, tensorrt, openvino).",
         choice(&S::provider, infer::kProviderNames), T::Choice, 0, 0, "", false},
    });
    return t;
}

const Schema<BenchArgs>& bench_schema() {
    static const Schema<BenchArgs> s = [] {
        Schema<BenchArgs> sc;
        sc.add<BenchArgs>("bench", "Bench", bench_params(), [](BenchArgs& r) -> BenchArgs& { return r; });
        return sc;
    }();
    return s;
}

std::pair<int, int> parse_size(const std::string& s) {
    int w = 0, h = 0;
    char x = 0;
    if (std::sscanf(s.c_str(), "%d%c%d", &w, &x, &h) != 3 || (x != 'x' && x != 'X') || w < 16 || h < 16 || w > 8192 || h > 8192)
        fail(ErrorKind::Usage, "invalid --size '" + s + "': expected WxH from 16x16 to 8192x8192, e.g. 1920x1080");
    return {w, h};
}

bool has_stage(const std::string& list, const std::string& s) { return ("," + list + ",").find("," + s + ",") != std::string::npos; }

// A misspelt stage would otherwise time an empty pass and print an absurd fps.
void check_stages(const std::string& list) {
    std::size_t start = 0;
    for (;;) {
        const auto comma = list.find(',', start);
        const std::string s = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (s != "key" && s != "face" && s != "compose")
            fail(ErrorKind::Usage, "invalid --stages '" + list + "': expected a comma-separated list of key, face, compose");
        if (comma == std::string::npos) return;
        start = comma + 1;
    }
}

nlohmann::json bench_size(const BenchArgs& a, int w, int h) {
    DemoSceneOptions o;
    o.width = w;
    o.height = h;
    o.frames = a.scene_frames;
    SceneRenderer scene(a.portrait, o);
    std::vector<Frame> inputs(a.scene_frames);
    for (int i = 0; i < a.scene_frames; ++i) scene.render(i, inputs[i]);

    pipeline::PassConfig cfg;
    if (has_stage(a.stages, "key")) {
        matte::KeyerSettings ks;
        ks.key = a.key;
        cfg.keyer = ks;
    }
    if (has_stage(a.stages, "face")) {
        face::FaceSettings fs;
        fs.source = {a.source};
        fs.detector = a.detector;
        fs.swapper = a.swapper;
        fs.embedder = a.embedder;
        fs.enhance = a.enhance;
        fs.occlusion_model = a.occlusion_model;
        cfg.face = fs;
    }
    if (has_stage(a.stages, "compose")) cfg.options.background = a.background;
    pipeline::FramePass pass(cfg, ThreadPool::shared());

    Frame work;
    double pass_ms = 0;
    // A few untimed frames first: model loading, first detection, buffer sizing.
    const int warmup = 3;
    for (int i = 0; i < a.frames + warmup; ++i) {
        const Frame& in = inputs[i % a.scene_frames];
        work.rgba = in.rgba;
        work.pts = work.index = i;
        work.has_alpha = false;
        Stopwatch sw;
        pass.process(work);
        if (i >= warmup) pass_ms += sw.ms();
    }
    nlohmann::json stages = nlohmann::json::object();
    const double frames = a.frames + warmup;
    for (auto& [name, total] : pass.times().total_ms) stages[name] = total / frames;
    const double per_frame = pass_ms / a.frames;
    return {{"size", std::to_string(w) + "x" + std::to_string(h)},
            {"frames", a.frames},
            {"pass_ms", per_frame},
            {"fps", 1000.0 / per_frame},
            {"faces_swapped", pass.summary().faces_swapped},
            {"stage_ms_per_frame", stages}};
}

void add_bench(CLI::App& app) {
    auto a = std::make_shared<BenchArgs>();
    auto flags = std::make_shared<FlagValues>();
    auto* cmd = app.add_subcommand("bench", "Measure the frame pass: fps and per-stage ms at given sizes");
    add_schema_flags(cmd, bench_schema(), flags);
    cmd->callback([a, flags] {
        apply_flags(bench_schema(), *a, *flags);
        const fs::path demo = fs::path(a->cache) / "demo";
        if (a->portrait.empty()) a->portrait = (demo / "skimage" / "astronaut.png").string();
        if (a->source.empty()) a->source = (demo / "dlib-faces" / "Tom_Cruise_avp_2014_4.jpg").string();
        if (a->background.empty()) a->background = (demo / "skimage" / "hubble_deep_field.jpg").string();
        if (a->sizes.empty()) a->sizes = {"1280x720", "1920x1080"};
        check_stages(a->stages);
        for (const auto& sz : a->sizes) (void)parse_size(sz);  // all sizes checked before the first is timed
        ThreadPool::set_shared_threads(a->threads);
        infer::set_execution_provider(a->provider);
        nlohmann::json out = {{"threads", ThreadPool::shared().size()}, {"stages", a->stages}, {"results", nlohmann::json::array()}};
        for (const auto& s : a->sizes) {
            const auto [w, h] = parse_size(s);
            out["results"].push_back(bench_size(*a, w, h));
        }
        if (a->json) {
            std::cout << out.dump(2) << "\n";
            return;
        }
        std::printf("keyswap bench: %d threads, stages %s, %d frames per size (decode/encode excluded)\n",
                    out["threads"].get<int>(), a->stages.c_str(), a->frames);
        for (auto& r : out["results"]) {
            std::printf("\n%-10s %7.1f fps  %7.2f ms/frame  (%lld face swaps)\n", r["size"].get<std::string>().c_str(),
                        r["fps"].get<double>(), r["pass_ms"].get<double>(), r["faces_swapped"].get<long long>());
            for (auto& [name, ms] : r["stage_ms_per_frame"].items())
                std::printf("  %-18s %7.2f ms\n", name.c_str(), ms.get<double>());
        }
    });
}

const CommandRegistrar reg("bench", add_bench);

}  // namespace

std::vector<SchemaSection> bench_schema_sections() { return sections_of("bench", bench_schema()); }

}  // namespace keyswap::app
