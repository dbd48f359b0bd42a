// Face detectors on ONNX Runtime (SCRFD, YuNet) with the real small models in
// ../shared/assets/models: they find the faces dlib's HOG finds, with boxes the 68-point
// predictor can start from, find a turned face HOG misses, and refuse files that are not
// their model with one clear error naming the file.
#include <gtest/gtest.h>

#include <fstream>

#include "face_test_util.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/face/detector.hpp"

using namespace keyswap;
using test::error_of;
using namespace keyswap::face;

namespace {

const char* kScrfd = "models/scrfd_500m_bnkps.onnx";
const char* kYunet = "models/face_detection_yunet_2023mar.onnx";

std::unique_ptr<FaceDetector> make(DetectorKind kind, const char* rel) {
    return FaceDetector::create({kind, test::asset(rel).string()}, 800);
}


}  // namespace

// Same faces as HOG on frontal photos, and boxes in HOG's convention (they overlap it well),
// so the landmark fit starts where it was trained to.
TEST(FaceDetectOnnx, FindTheFacesHogFindsWithBoxesLikeHogs) {
    if (!test::has_asset(kScrfd) || !test::has_asset(kYunet)) GTEST_SKIP() << "needs ../shared/assets";
    auto hog = FaceDetector::create({}, 800);
    for (auto [kind, model] : {std::pair{DetectorKind::Scrfd, kScrfd}, std::pair{DetectorKind::Yunet, kYunet}}) {
        auto det = make(kind, model);
        for (const char* file : {"faces/obama.jpg", "faces/biden.jpg", "faces/two_people.jpg", "faces/stefan.jpg",
                                 "faces/people/kit_harington_2.jpg", "faces/people/alex_lacamoire_3.png",
                                 "faces/people/rose_leslie_1.jpg", "faces/people/kit_with_rose.jpg"}) {
            const ImageU8 img = test::load_rgba(file);
            const auto want = hog->detect(img.view());
            const auto got = det->detect(img.view());
            ASSERT_FALSE(want.empty()) << file;
            EXPECT_EQ(got.size(), want.size()) << model << " " << file;
            for (const auto& w : want) {
                float best = 0;
                for (const auto& g : got) best = std::max(best, iou(w.box, g.box));
                EXPECT_GT(best, 0.6f) << model << " " << file;
            }
        }
    }
}

// The cameraman looks through his camera, turned away: HOG finds no face, SCRFD finds it, and
// the landmarks fitted in its box sit on the face.
TEST(FaceDetectOnnx, ScrfdFindsATurnedFaceHogMisses) {
    if (!test::has_asset(kScrfd)) GTEST_SKIP() << "needs ../shared/assets";
    const ImageU8 img = test::load_rgba("faces/camera.png");
    EXPECT_TRUE(FaceDetector::create({}, 800)->detect(img.view()).empty());
    const auto got = make(DetectorKind::Scrfd, kScrfd)->detect(img.view());
    ASSERT_EQ(got.size(), 1u);
    // The face in the 512x512 picture: about x 205..270, y 120..195.
    const cv::Point2f c = (got[0].box.tl() + got[0].box.br()) * 0.5f;
    EXPECT_GT(c.x, 205);
    EXPECT_LT(c.x, 270);
    EXPECT_GT(c.y, 120);
    EXPECT_LT(c.y, 195);
    EXPECT_GT(got[0].box.width, 30);
    EXPECT_LT(got[0].box.width, 110);
}

TEST(FaceDetectOnnx, DetectorSyntax) {
    EXPECT_EQ(parse_detector("hog").kind, DetectorKind::Hog);
    EXPECT_EQ(parse_detector("cnn").kind, DetectorKind::Cnn);
    const DetectorSpec s = parse_detector("scrfd:/m/det.onnx");
    EXPECT_EQ(s.kind, DetectorKind::Scrfd);
    EXPECT_EQ(s.model, "/m/det.onnx");
    EXPECT_EQ(parse_detector("yunet:y.onnx").kind, DetectorKind::Yunet);
    std::string msg;
    EXPECT_EQ(error_of([] { parse_detector("scrfd:"); }), ErrorKind::Usage);
    EXPECT_EQ(error_of([] { parse_detector("retina"); }, &msg), ErrorKind::Usage);
    EXPECT_NE(msg.find("scrfd:FILE"), std::string::npos) << msg;
}

// Missing, not ONNX, truncated, or another model's signature: Error(Model) naming the file.
TEST(FaceDetectOnnx, BadModelFilesAreRefusedNamingTheFile) {
    if (!test::has_asset(kScrfd)) GTEST_SKIP() << "needs ../shared/assets";
    const auto dir = test::scratch("onnx_bad");
    const std::string text = (dir / "notes.onnx").string(), cut = (dir / "cut.onnx").string();
    std::ofstream(text) << "this is not a model\n";
    {
        std::ifstream in(test::asset(kScrfd), std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
    }
    const std::string segmenter = test::asset("models/selfie_segmentation.onnx").string();
    const std::string missing = (dir / "absent.onnx").string();
    for (auto kind : {DetectorKind::Scrfd, DetectorKind::Yunet}) {
        for (const std::string& file : {text, cut, segmenter, missing}) {
            std::string msg;
            EXPECT_EQ(error_of([&] { FaceDetector::create({kind, file}, 800); }, &msg), ErrorKind::Model) << file;
            EXPECT_EQ(msg.rfind(file + ": ", 0), 0u) << msg;
            EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        }
    }
    std::string msg;
    error_of([&] { FaceDetector::create({DetectorKind::Scrfd, segmenter}, 800); }, &msg);
    EXPECT_NE(msg.find("not a SCRFD face detector model"), std::string::npos) << msg;
}
