// `keyswap models` and `keyswap models check FILE` on the real models in ../shared/assets and
// on files that are not models keyswap can use.
#include <gtest/gtest.h>

#include <fstream>

#include <httplib.h>

#include <thread>

#include "keyswap/io/download.hpp"
#include "onnx_builder.hpp"
#include "test_support.hpp"

namespace keyswap::test {
namespace {

TEST(CliModels, ListsTheTypesWithHowToUseThem) {
    const RunResult r = run_cli("models");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const char* s : {"SCRFD", "--detector scrfd:FILE", "YuNet", "--key ai:FILE", "inswapper_128", "licence"})
        EXPECT_NE(r.out.find(s), std::string::npos) << s;
    const RunResult j = run_cli("models --json");
    EXPECT_EQ(j.exit_code, 0);
    EXPECT_NE(j.out.find("\"signature\""), std::string::npos);
}

TEST(CliModels, CheckSaysWhatAFileIsAndHowToUseIt) {
    if (!has_asset("models/scrfd_500m_bnkps.onnx")) GTEST_SKIP() << "needs ../shared/assets";
    const struct {
        const char* file;
        const char* says;
    } cases[] = {{"models/scrfd_500m_bnkps.onnx", "SCRFD face detector; use it with --detector scrfd:"},
                 {"models/face_detection_yunet_2023mar.onnx", "YuNet face detector; use it with --detector yunet:"},
                 {"models/selfie_segmentation.onnx", "portrait matting model (selfie segmentation 256x256); use it with --key ai:"},
                 {"models/sinet_softmax.onnx", "portrait matting model (SINet"}};
    for (const auto& c : cases) {
        const RunResult r = run_cli("models check '" + asset(c.file).string() + "'");
        EXPECT_EQ(r.exit_code, 0) << c.file << ": " << r.err;
        EXPECT_NE(r.out.find(c.says), std::string::npos) << r.out;
    }
    // A real ONNX model of a kind keyswap does not run, and a file that is not ONNX: exit 1,
    // one line naming the file.
    const std::string other = asset("models/ultraface_rfb320.onnx").string();
    const RunResult r = run_cli("models check '" + other + "'");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(other + ": an ONNX model keyswap does not use"), std::string::npos) << r.err;
    const auto dir = scratch("models_check");
    const std::string text = (dir / "notes.onnx").string();
    std::ofstream(text) << "not a model\n";
    const RunResult t = run_cli("models check '" + text + "'");
    EXPECT_EQ(t.exit_code, 1);
    EXPECT_NE(t.err.find(text + ": not a usable ONNX model"), std::string::npos) << t.err;
    EXPECT_EQ(t.err.find('\n'), t.err.size() - 1) << t.err;
}

// The face models, made by the test in their layouts: `models check` names each, and a process
// run with a neural swapper, an enhancer and an occlusion model writes a swapped picture.
TEST(CliModels, FaceModelsAreRecognisedAndRun) {
    if (!has_asset("faces/biden.jpg")) GTEST_SKIP() << "needs ../shared/assets";
    const auto dir = scratch("models_face");
    const std::string swapper = (dir / "swapper.onnx").string(), embedder = (dir / "arcface.onnx").string(),
                      enhancer = (dir / "gfpgan.onnx").string(), occluder = (dir / "xseg.onnx").string();
    std::vector<float> emap(512 * 512, 0.0f), w(3 * 512, 0.01f);
    for (int i = 0; i < 512; ++i) emap[static_cast<std::size_t>(i) * 513] = 1.0f;
    OnnxBuilder()
        .input("target", {1, 3, 128, 128}).input("source", {1, 512}).output("out", {1, 3, 128, 128})
        .initializer("zero", {}, {0.0f})
        .node("ReduceSum", {"source"}, {"s"}, {{"keepdims", {1}, true}})
        .node("Mul", {"s", "zero"}, {"z"})
        .node("Add", {"target", "z"}, {"out"})
        .initializer("emap", {512, 512}, emap)
        .save(swapper);
    OnnxBuilder()
        .input("data", {1, 3, 112, 112}).output("fc1", {1, 512})
        .initializer("w", {3, 512}, w)
        .node("GlobalAveragePool", {"data"}, {"g"})
        .node("Flatten", {"g"}, {"f"}, {{"axis", {1}, true}})
        .node("MatMul", {"f", "w"}, {"fc1"})
        .save(embedder);
    OnnxBuilder().input("input", {1, 3, 512, 512}).output("output", {1, 3, 512, 512}).node("Identity", {"input"}, {"output"}).save(enhancer);
    OnnxBuilder().input("in", {1, 256, 256, 3}).output("out", {1, 256, 256, 1})
        .node("ReduceMean", {"in"}, {"out"}, {{"axes", {3}}, {"keepdims", {1}, true}})
        .save(occluder);
    const struct {
        std::string file;
        const char* says;
    } cases[] = {{swapper, "inswapper face swapper (512-value identity); use it with --swapper inswapper:"},
                 {embedder, "ArcFace face embedder (512 values); use it with --embedder"},
                 {enhancer, "GFPGAN face enhancer; use it with --enhance gfpgan:"},
                 {occluder, "or occlusion model (XSeg layout); use it with --occlusion-model"}};
    for (const auto& c : cases) {
        const RunResult r = run_cli("models check '" + c.file + "'");
        EXPECT_EQ(r.exit_code, 0) << c.file << ": " << r.err;
        EXPECT_NE(r.out.find(c.says), std::string::npos) << r.out;
    }
    const std::string out = (dir / "swapped.png").string();
    const RunResult r = run_cli("process -i '" + asset("faces/biden.jpg").string() + "' -o '" + out + "' --source '" +
                                asset("faces/obama.jpg").string() + "' --swapper 'inswapper:" + swapper + "' --embedder '" +
                                embedder + "' --enhance 'gfpgan:" + enhancer + "' --occlusion-model '" + occluder + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("faces swapped in 1 of 1 frames"), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::exists(out));
    // A swapper without its embedder is a usage error before anything is written.
    const RunResult u = run_cli("process -i '" + asset("faces/biden.jpg").string() + "' -o '" + (dir / "no.png").string() +
                                "' --source '" + asset("faces/obama.jpg").string() + "' --swapper 'inswapper:" + swapper + "'");
    EXPECT_EQ(u.exit_code, 2) << u.err;
    EXPECT_NE(u.err.find("--embedder"), std::string::npos) << u.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "no.png"));
}

// `models download NAME` with a catalogue pointing at a local server: the file lands with its
// checksum checked; an unknown name is a usage error listing the known ones.
TEST(CliModels, DownloadsByNameWithTheChecksum) {
    const auto dir = scratch("models_download");
    const std::string body(123457, 'k');
    httplib::Server server;
    server.Get("/m.onnx", [&](const httplib::Request&, httplib::Response& res) { res.set_content(body, "application/octet-stream"); });
    const int port = server.bind_to_any_port("127.0.0.1");
    std::thread t([&] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::ofstream(dir / "body") << body;
    const std::string sha = io::sha256_file(dir / "body");
    std::ofstream(dir / "catalogue.json") << "[{\"name\": \"tiny\", \"file\": \"tiny.onnx\", \"url\": \"http://127.0.0.1:"
                                          << port << "/m.onnx\", \"sha256\": \"" << sha << "\"}]";
    const RunResult r = run_cli("models download tiny --catalogue '" + (dir / "catalogue.json").string() + "' --to '" +
                                (dir / "models").string() + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("SHA-256 " + sha + " (matches)"), std::string::npos) << r.out;
    EXPECT_EQ(std::filesystem::file_size(dir / "models" / "tiny.onnx"), body.size());
    const RunResult u = run_cli("models download no-such-model --to '" + (dir / "models").string() + "'");
    EXPECT_EQ(u.exit_code, 2);
    EXPECT_NE(u.err.find("inswapper_128"), std::string::npos) << u.err;
    server.stop();
    t.join();
}

}  // namespace
}  // namespace keyswap::test
