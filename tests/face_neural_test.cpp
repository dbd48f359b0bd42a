// The neural face stages (inswapper-style swapper, ArcFace embedder, GFPGAN-style enhancer,
// XSeg-style occlusion model) tested with small models the tests write themselves in ONNX's
// format: an identity model must give back the frame (alignment, inverse warp and masks
// agree), an inverting one must land exactly on the face, a known mask must be kept, and
// files of the wrong signature are refused with one line naming them.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgproc.hpp>

#include "face_test_util.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/face/alignment.hpp"
#include "keyswap/face/arcface.hpp"
#include "keyswap/face/face_swapper.hpp"
#include "keyswap/face/masks.hpp"
#include "keyswap/infer/onnx_file.hpp"
#include "onnx_builder.hpp"

using namespace keyswap;
using namespace keyswap::face;
using test::as_mat;
using test::error_of;
using test::largest_face;
using test::OnnxBuilder;

namespace {

constexpr int kLatent = 512;

std::vector<float> identity_matrix(int n) {
    std::vector<float> m(static_cast<std::size_t>(n) * n, 0.0f);
    for (int i = 0; i < n; ++i) m[static_cast<std::size_t>(i) * n + i] = 1.0f;
    return m;
}

// inswapper layout: target [1,3,128,128] + source [1,512] -> [1,3,128,128]; the output is the
// target (invert: 1 - target), plus 0 x sum(source) so the latent input is really read.
std::string swapper_model(const std::string& dir, bool invert, bool with_emap = true, int latent = kLatent) {
    OnnxBuilder b;
    b.input("target", {1, 3, 128, 128}).input("source", {1, latent}).output("output", {1, 3, 128, 128});
    b.initializer("zero", {}, {0.0f}).initializer("one", {}, {1.0f});
    b.node("ReduceSum", {"source"}, {"s"}, {{"keepdims", {1}, true}});
    b.node("Mul", {"s", "zero"}, {"z"});
    if (invert) {
        b.node("Sub", {"one", "target"}, {"inv"});
        b.node("Add", {"inv", "z"}, {"output"});
    } else {
        b.node("Add", {"target", "z"}, {"output"});
    }
    if (with_emap) b.initializer("emap", {latent, latent}, identity_matrix(latent));
    const std::string path = dir + (invert ? "/invert_swapper.onnx" : "/identity_swapper.onnx") +
                             (with_emap ? "" : ".noemap.onnx");
    b.save(path);
    return path;
}

// ArcFace layout: [1,3,112,112] -> [1,D]: the mean colour times a fixed matrix (an identity of
// sorts: it differs between photos, which is all the pipeline needs).
std::string embedder_model(const std::string& dir, int size = kLatent) {
    std::vector<float> w(3 * static_cast<std::size_t>(size));
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 37 % 101) / 101.0 - 0.5);
    OnnxBuilder b;
    b.input("data", {1, 3, 112, 112}).output("fc1", {1, size});
    b.initializer("w", {3, size}, w);
    b.node("GlobalAveragePool", {"data"}, {"g"});
    b.node("Flatten", {"g"}, {"f"}, {{"axis", {1}, true}});
    b.node("MatMul", {"f", "w"}, {"fc1"});
    const std::string path = dir + "/embedder" + std::to_string(size) + ".onnx";
    b.save(path);
    return path;
}

// GFPGAN layout: [1,3,512,512] in [-1,1] -> the same; identity or inverted (-x).
std::string enhancer_model(const std::string& dir, bool invert) {
    OnnxBuilder b;
    b.input("input", {1, 3, 512, 512}).output("output", {1, 3, 512, 512});
    b.node(invert ? "Neg" : "Identity", {"input"}, {"output"});
    const std::string path = dir + (invert ? "/invert_enhancer.onnx" : "/identity_enhancer.onnx");
    b.save(path);
    return path;
}

// CodeFormer layout: the image and a double fidelity weight -> -image + (weight - 0.5), so the
// output is the inverted face only when keyswap feeds the weight it documents (0.5).
std::string codeformer_model(const std::string& dir) {
    OnnxBuilder b;
    b.input("input", {1, 3, 512, 512}).input("weight", {1}, 11).output("output", {1, 3, 512, 512});
    b.initializer("half", {}, {0.5f});
    b.node("Neg", {"input"}, {"neg"});
    b.node("Cast", {"weight"}, {"wf"}, {{"to", {1}, true}});
    b.node("Sub", {"wf", "half"}, {"shift"});
    b.node("Add", {"neg", "shift"}, {"output"});
    const std::string path = dir + "/codeformer.onnx";
    b.save(path);
    return path;
}

// XSeg layout: [1,256,256,3] BGR in [0,1] -> [1,256,256,1] visible face: 1 + red - blue, so
// skin (red above blue) is face and a saturated blue patch is something in front.
std::string occlusion_model(const std::string& dir) {
    OnnxBuilder b;
    b.input("in", {1, 256, 256, 3}).output("out", {1, 256, 256, 1});
    b.initializer("one", {}, {1.0f});
    b.node("Split", {"in"}, {"b", "g", "r"}, {{"axis", {3}, true}});
    b.node("Sub", {"r", "b"}, {"d"});
    b.node("Add", {"d", "one"}, {"out"});
    const std::string path = dir + "/occlusion.onnx";
    b.save(path);
    return path;
}

// BiSeNet layout: [1,3,512,512] ImageNet-normalised RGB -> [1,19,512,512] class scores, from a
// 1x1 convolution: "glasses" (class 6) where blue exceeds red by far, "skin" (1) elsewhere,
// every other class far below.
std::string parser_model(const std::string& dir) {
    std::vector<float> w(19 * 3, 0.0f), bias(19, -100.0f);
    w[6 * 3 + 0] = -1.0f;  // glasses score = blue - red - 2
    w[6 * 3 + 2] = 1.0f;
    bias[6] = -2.0f;
    bias[1] = 0.0f;  // skin: 0
    OnnxBuilder b;
    b.input("input", {1, 3, 512, 512}).output("output", {1, 19, 512, 512});
    b.initializer("w", {19, 3, 1, 1}, w).initializer("b", {19}, bias);
    b.node("Conv", {"input", "w", "b"}, {"output"});
    const std::string path = dir + "/parser.onnx";
    b.save(path);
    return path;
}

SourceImage source(const std::string& rel) { return {rel, test::load_rgba(rel)}; }


// The inner face (eyes, nose, mouth; well inside every mask's ramp), CV_8U frame-sized.
cv::Mat inner_face(const ImageU8& img, const Landmarks& l) {
    std::vector<cv::Point> pts, hull;
    for (int i : {36, 39, 42, 45, 31, 35, 48, 54, 57, 27})
        pts.emplace_back(cvRound(l[i].x), cvRound(l[i].y));
    cv::convexHull(pts, hull);
    cv::Mat m = cv::Mat::zeros(img.height(), img.width(), CV_8U);
    cv::fillConvexPoly(m, hull, 255);
    return m;
}



class NeuralFace : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::has_asset("faces/obama.jpg") || !test::has_asset("faces/biden.jpg")) GTEST_SKIP() << "needs ../shared/assets";
        // One folder per test: ctest runs tests of this suite side by side.
        dir_ = test::scratch(std::string("neural_") + ::testing::UnitTest::GetInstance()->current_test_info()->name()).string();
        target_ = test::load_rgba("faces/biden.jpg");
        landmarks_ = largest_face(target_);
    }
    FaceSettings neural(const std::string& swapper) const {
        FaceSettings s;
        s.swapper = "inswapper:" + swapper;
        s.embedder = embedder_model(dir_);
        s.smooth = false;
        return s;
    }
    Frame run(const FaceSettings& s) { return run(s, target_); }
    Frame run(const FaceSettings& s, const ImageU8& target) {
        FaceSwapper sw(s, {source("faces/obama.jpg")});
        Frame f;
        f.rgba = target;
        ThreadPool pool(2);
        EXPECT_EQ(sw.process(f, nullptr, pool).swapped, 1);
        return f;
    }
    std::string dir_;
    ImageU8 target_;
    Landmarks landmarks_{};
};

}  // namespace

TEST(OnnxFile, ReadsTheLastInitializerAndRefusesDamagedFiles) {
    const std::string dir = test::scratch("onnx_file").string();
    OnnxBuilder b;
    b.input("x", {1, 2}).output("y", {1, 2});
    b.initializer("first", {2}, {1, 2}).initializer("emap", {2, 3}, {1, 2, 3, 4, 5, 6});
    b.node("Identity", {"x"}, {"y"});
    b.save(dir + "/m.onnx");
    const infer::Initializer last = infer::last_initializer(dir + "/m.onnx", "test");
    EXPECT_EQ(last.name, "emap");
    EXPECT_EQ(last.dims, (std::vector<std::int64_t>{2, 3}));
    EXPECT_EQ(last.values, (std::vector<float>{1, 2, 3, 4, 5, 6}));

    const std::string bytes = b.bytes();
    std::ofstream(dir + "/cut.onnx", std::ios::binary) << bytes.substr(0, bytes.size() - 40);
    std::string message;
    EXPECT_EQ(error_of([&] { infer::last_initializer(dir + "/cut.onnx", "test"); }, &message), ErrorKind::Model);
    EXPECT_NE(message.find("cut.onnx"), std::string::npos) << message;
    EXPECT_EQ(error_of([&] { infer::last_initializer(dir + "/none.onnx", "test"); }), ErrorKind::Model);
}

// Alignment to the swapper's template and the inverse warp agree: a swapper that returns its
// input gives back the frame within interpolation error, and everything outside the face's
// region is untouched. The frame is scaled so the face has the crop's own size (35 px between
// the eyes): at other sizes the 128-pixel crop itself loses (or cannot add) detail.
TEST_F(NeuralFace, IdentitySwapperGivesBackTheFrame) {
    const double f = 35.2 / inter_ocular(landmarks_);
    cv::Mat small;
    cv::resize(as_mat(target_), small, cv::Size(), f, f, cv::INTER_AREA);
    ImageU8 a(small.cols, small.rows, 4);
    small.copyTo(as_mat(a));
    const Landmarks l = largest_face(a);
    // A generator redraws the face it is given: --face-shape is the classic swap's and must not
    // reshape the generator's input (a reshape would show here as a moved jaw).
    auto settings = neural(swapper_model(dir_, false));
    settings.face_shape = 0.4;
    ImageU8 b = run(settings, a).rgba;
    cv::Mat diff;
    cv::absdiff(as_mat(a), as_mat(b), diff);
    cv::Mat grey;
    cv::transform(diff, grey, cv::Matx14f(1 / 3.f, 1 / 3.f, 1 / 3.f, 0));
    const cv::Mat inner = inner_face(a, l);
    EXPECT_LT(cv::mean(grey, inner)[0], 2.5);
    double max_diff = 0;
    cv::minMaxLoc(grey, nullptr, &max_diff);
    EXPECT_LT(max_diff, 40);  // a blurred sharp edge at worst, never a misplaced face
    // The region ends a little outside the face: far corners unchanged.
    EXPECT_EQ(cv::countNonZero(grey(cv::Rect(0, 0, 20, 20))), 0);
}

// An inverting swapper shows where the output lands: on the face, in register (inverted pixel
// for pixel inside the face), and the alpha channel never changes.
TEST_F(NeuralFace, InvertingSwapperLandsOnTheFace) {
    const Frame f = run(neural(swapper_model(dir_, true)));
    ImageU8 a = target_, b = f.rgba;
    cv::Mat expected;
    cv::Mat rgb_a, rgb_b;
    cv::cvtColor(as_mat(a), rgb_a, cv::COLOR_RGBA2RGB);
    cv::cvtColor(as_mat(b), rgb_b, cv::COLOR_RGBA2RGB);
    cv::Mat inverted = cv::Scalar::all(255) - rgb_a;
    cv::Mat diff;
    cv::absdiff(inverted, rgb_b, diff);
    const cv::Mat inner = inner_face(target_, landmarks_);
    const double err = cv::mean(diff, inner)[0];
    EXPECT_LT(err, 8.0) << "inverted face not in register";
    cv::Mat alpha_a, alpha_b;
    cv::extractChannel(as_mat(a), alpha_a, 3);
    cv::extractChannel(as_mat(b), alpha_b, 3);
    EXPECT_EQ(cv::countNonZero(alpha_a != alpha_b), 0);
}

TEST_F(NeuralFace, SignaturesAreCheckedWithOneLineNamingTheFile) {
    std::string message;
    // Not an inswapper: one input.
    const std::string enhancer = enhancer_model(dir_, false);
    EXPECT_EQ(error_of([&] { run(neural(enhancer)); }, &message), ErrorKind::Model);
    EXPECT_NE(message.find("identity_enhancer.onnx"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    // No emap matrix as the last initializer.
    EXPECT_EQ(error_of([&] { run(neural(swapper_model(dir_, false, false))); }, &message), ErrorKind::Model);
    EXPECT_NE(message.find("emap"), std::string::npos) << message;
    // An embedder whose size is not the swapper's latent.
    FaceSettings s = neural(swapper_model(dir_, false));
    s.embedder = embedder_model(dir_, 256);
    EXPECT_EQ(error_of([&] { run(s); }, &message), ErrorKind::Model);
    EXPECT_NE(message.find("embedder256.onnx"), std::string::npos) << message;
    // The swapper given as the embedder.
    s.embedder = swapper_model(dir_, false);
    EXPECT_EQ(error_of([&] { run(s); }, &message), ErrorKind::Model);
    // No embedder at all.
    s.embedder.clear();
    EXPECT_EQ(error_of([&] { run(s); }, &message), ErrorKind::Usage);
    EXPECT_NE(message.find("--embedder"), std::string::npos) << message;
    // A file that is not ONNX, and a truncated one.
    std::ofstream(dir_ + "/text.onnx") << "not a model\n";
    EXPECT_EQ(error_of([&] { run(neural(dir_ + "/text.onnx")); }, &message), ErrorKind::Model);
    EXPECT_NE(message.find("text.onnx"), std::string::npos) << message;
    // Unknown syntax.
    s = FaceSettings{};
    s.swapper = "simswap:x.onnx";
    EXPECT_EQ(error_of([&] { run(s); }, &message), ErrorKind::Usage);
    s = FaceSettings{};
    s.enhance = "codeformer";
    EXPECT_EQ(error_of([&] { run(s); }, &message), ErrorKind::Usage);
}

// The enhancer's crop (FFHQ template, 512 px) goes back where it came from: an identity
// restorer leaves the classic swap as it was, an inverting one inverts the face in register,
// and blend 0 leaves it.
TEST_F(NeuralFace, EnhancerPastesBackInRegisterAndBlends) {
    FaceSettings plain;
    plain.smooth = false;
    const Frame swapped = run(plain);
    FaceSettings s = plain;
    s.enhance = "gfpgan:" + enhancer_model(dir_, false);
    s.enhance_blend = 1.0;
    ImageU8 a = swapped.rgba, b = run(s).rgba;
    const cv::Mat inner = inner_face(target_, landmarks_);
    cv::Mat diff;
    cv::absdiff(as_mat(a), as_mat(b), diff);
    EXPECT_LT(cv::mean(diff, inner)[0], 2.5);

    s.enhance = "gfpgan:" + enhancer_model(dir_, true);
    ImageU8 c = run(s).rgba;
    cv::Mat rgb_a, rgb_c;
    cv::cvtColor(as_mat(a), rgb_a, cv::COLOR_RGBA2RGB);
    cv::cvtColor(as_mat(c), rgb_c, cv::COLOR_RGBA2RGB);
    cv::absdiff(cv::Scalar::all(255) - rgb_a, rgb_c, diff);
    EXPECT_LT(cv::mean(diff, inner)[0], 8.0);

    s.enhance = "codeformer:" + codeformer_model(dir_);
    ImageU8 cf = run(s).rgba;
    cv::Mat rgb_cf;
    cv::cvtColor(as_mat(cf), rgb_cf, cv::COLOR_RGBA2RGB);
    cv::absdiff(cv::Scalar::all(255) - rgb_a, rgb_cf, diff);
    EXPECT_LT(cv::mean(diff, inner)[0], 8.0) << "CodeFormer layout";

    s.enhance = "gfpgan:" + enhancer_model(dir_, true);
    s.enhance_blend = 0.0;
    ImageU8 d = run(s).rgba;
    cv::absdiff(as_mat(a), as_mat(d), diff);
    EXPECT_EQ(cv::countNonZero(diff.reshape(1) > 0), 0);
}

// An occlusion model's mask is kept, XSeg's one channel or a face parser's classes: a
// saturated blue patch over the cheek, which both models call "in front" (the parser: glasses),
// stays the target's bit for bit, while the skin around it is swapped.
TEST_F(NeuralFace, OcclusionModelsKeepWhatTheyMark) {
    const float iod = inter_ocular(landmarks_);
    const cv::Point2f cheek = (landmarks_[31] + landmarks_[3]) * 0.5f;
    const cv::Rect patch(cvRound(cheek.x - 0.15f * iod), cvRound(cheek.y - 0.15f * iod), cvRound(0.3f * iod),
                         cvRound(0.3f * iod));
    cv::Mat m = as_mat(target_);
    m(patch).setTo(cv::Scalar(0, 0, 255, 255));
    const cv::Rect core(patch.x + 3, patch.y + 3, patch.width - 6, patch.height - 6);
    const cv::Mat inner = inner_face(target_, landmarks_);

    for (const std::string& model : {occlusion_model(dir_), parser_model(dir_)}) {
        FaceSettings s;
        s.smooth = false;
        s.occlusion_model = model;
        ImageU8 kept = run(s).rgba;
        cv::Mat diff;
        cv::absdiff(as_mat(kept)(core), m(core), diff);
        EXPECT_EQ(cv::countNonZero(diff.reshape(1) > 0), 0) << model << ": the marked patch was painted over";
        cv::absdiff(as_mat(kept), m, diff);
        cv::Mat grey;
        cv::transform(diff, grey, cv::Matx14f(1 / 3.f, 1 / 3.f, 1 / 3.f, 0));
        EXPECT_GT(cv::mean(grey, inner)[0], 5.0) << model << ": the face itself was not swapped";
    }

    FaceSettings s;
    s.smooth = false;  // without a model, the patch is swapped over
    ImageU8 over = run(s).rgba;
    cv::Mat diff;
    cv::absdiff(as_mat(over)(core), m(core), diff);
    EXPECT_GT(cv::countNonZero(diff.reshape(1) > 0), core.area() / 2);

    std::string message;
    s.occlusion_model = enhancer_model(dir_, false);
    EXPECT_EQ(error_of([&] { run(s); }, &message), ErrorKind::Model);
    EXPECT_NE(message.find("occlusion"), std::string::npos) << message;
}

// The five points and the templates: a face aligned to ArcFace's template lands with its eyes
// where the template puts them.
TEST_F(NeuralFace, AlignmentPutsTheEyesOnTheTemplate) {
    cv::Mat rgb;
    cv::cvtColor(as_mat(target_), rgb, cv::COLOR_RGBA2RGB);
    AlignedCrop crop;
    cut_aligned(rgb, landmarks_, FaceTemplate::ArcFace, 112, crop);
    const FivePoints p = five_points(landmarks_);
    const cv::Vec2d le = crop.to_crop * cv::Vec3d(p[0].x, p[0].y, 1);
    const cv::Vec2d re = crop.to_crop * cv::Vec3d(p[1].x, p[1].y, 1);
    EXPECT_NEAR(le[0], 38.3, 3.0);
    EXPECT_NEAR(le[1], 51.7, 3.0);
    EXPECT_NEAR(re[0], 73.5, 3.0);
    EXPECT_NEAR(re[1], 51.5, 3.0);
    EXPECT_EQ(crop.rgb.size(), cv::Size(112, 112));
}

// A model that needs an operator this runtime lacks is one clear Error(Model) naming the file.
TEST(OnnxRuntime, MissingOperatorIsAClearModelError) {
    const std::string path = (test::scratch("onnx_missing_op") / "exotic.onnx").string();
    OnnxBuilder().input("data", {1, 3, 112, 112}).output("fc1", {1, 512}).node("FrobnicateFaces", {"data"}, {"fc1"}).save(path);
    std::string message;
    EXPECT_EQ(error_of([&] { ArcFaceEmbedder e(path); }, &message), ErrorKind::Model);
    EXPECT_NE(message.find("exotic.onnx"), std::string::npos) << message;
    EXPECT_NE(message.find("FrobnicateFaces"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// Asking for an execution provider this build lacks says which it has; the CPU always works.
TEST(OnnxRuntime, ExecutionProviderMustBeInTheBuild) {
    const auto have = infer::available_providers();
    EXPECT_NE(std::find(have.begin(), have.end(), "CPUExecutionProvider"), have.end());
    if (std::find(have.begin(), have.end(), "CUDAExecutionProvider") == have.end()) {
        std::string message;
        EXPECT_EQ(error_of([&] { infer::set_execution_provider(infer::Provider::Cuda); }, &message), ErrorKind::Usage);
        EXPECT_NE(message.find("CPUExecutionProvider"), std::string::npos) << message;
    }
    EXPECT_EQ(infer::execution_provider(), infer::Provider::Cpu);
    infer::set_execution_provider(infer::Provider::Cpu);
}
