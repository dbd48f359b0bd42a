// `keyswap models` and `keyswap models check FILE` on the real models in ../shared/assets and
// on files that are not models keyswap can use.
#include <gtest/gtest.h>

#include <fstream>

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

}  // namespace
}  // namespace keyswap::test
