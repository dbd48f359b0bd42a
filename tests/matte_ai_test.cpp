// AI matting (--key ai:FILE) with the real portrait models in ../shared/assets/models, through
// the whole keyer (model, upsampling, guided refinement, finish): on portrait photos the
// person's face is foreground and the backdrop's top corners are not; the pixels' colour is
// kept (no screen to unmix or despill); wrong models are refused naming the file.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "face_test_util.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/matte/ai_matte.hpp"
#include "keyswap/matte/keyer.hpp"
#include "onnx_builder.hpp"

using namespace keyswap;

namespace {

struct Keyed {
    Frame frame;
    ImageF32 matte;
};

Keyed key_with(const std::string& model, const std::string& photo) {
    matte::KeyerSettings s;
    s.key = "ai:" + test::asset("models/" + model).string();
    matte::Keyer keyer(s);
    Keyed k;
    k.frame = test::load_frame(photo);
    ThreadPool pool(2);
    keyer.process(k.frame, k.matte, pool);
    return k;
}

double mean_in(const ImageF32& m, const cv::Mat& mask) {
    const cv::Mat a(m.height(), m.width(), CV_32F, const_cast<float*>(m.data()));
    return cv::mean(a, mask)[0];
}

}  // namespace

TEST(MatteAi, PeopleAreForegroundAndTheBackdropIsNot) {
    for (const char* model : {"selfie_segmentation.onnx", "sinet_softmax.onnx"}) {
        if (!test::has_asset(std::string("models/") + model)) GTEST_SKIP() << "needs ../shared/assets";
        for (const char* photo : {"faces/astronaut.png", "faces/people/lin_manuel_miranda.png",
                                  "faces/people/kit_with_rose.jpg", "faces/obama.jpg"}) {
            const ImageU8 original = test::load_rgba(photo);
            Keyed k = key_with(model, photo);
            const int w = original.width(), h = original.height();
            // Person: inside each face's landmark hull (eyes to chin), found on the original.
            cv::Mat face(h, w, CV_8U, cv::Scalar(0));
            const auto& faces = test::shared_analyser().analyse(original.view());
            ASSERT_FALSE(faces.empty()) << photo;
            for (const auto& f : faces) {
                std::vector<cv::Point> hull, pts;
                for (const auto& p : f.raw) pts.emplace_back(cvRound(p.x), cvRound(p.y));
                cv::convexHull(pts, hull);
                cv::fillConvexPoly(face, hull, 255);
            }
            // Backdrop: the top corners (each photo's subject stands in the middle).
            cv::Mat back(h, w, CV_8U, cv::Scalar(0));
            const int cw = w / 10, ch = h / 10;
            back(cv::Rect(0, 0, cw, ch)).setTo(255);
            back(cv::Rect(w - cw, 0, cw, ch)).setTo(255);
            EXPECT_GT(mean_in(k.matte, face), 0.9) << model << " " << photo;
            // (SINet keeps a little of the astronaut's flag: 0.14 there, under 0.03 elsewhere.)
            EXPECT_LT(mean_in(k.matte, back), 0.2) << model << " " << photo;
            // Opaque pixels keep their colour: nothing to unmix or despill without a screen.
            const cv::Mat a(h, w, CV_32F, k.matte.data());
            cv::Mat diff;
            cv::absdiff(cv::Mat(h, w, CV_8UC4, k.frame.rgba.data()),
                        cv::Mat(h, w, CV_8UC4, const_cast<std::uint8_t*>(original.data())), diff);
            const cv::Scalar d = cv::mean(diff, face & (a > 0.99f));
            EXPECT_LT((d[0] + d[1] + d[2]) / 3, 1.0) << model << " " << photo;
            EXPECT_TRUE(k.frame.has_alpha);
        }
    }
}

TEST(MatteAi, WrongModelsAreRefusedNamingTheFile) {
    if (!test::has_asset("models/scrfd_500m_bnkps.onnx")) GTEST_SKIP() << "needs ../shared/assets";
    const std::string detector = test::asset("models/scrfd_500m_bnkps.onnx").string();
    matte::KeyerSettings s;
    s.key = "ai:" + detector;
    try {
        matte::Keyer k(s);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Model);
        EXPECT_EQ(e.path(), detector);
        EXPECT_NE(std::string(e.what()).find("not a portrait matting model"), std::string::npos) << e.what();
    }
    s.key = "ai:";
    try {
        matte::Keyer k(s);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Usage);
    }
}

// RVM's recurrent layout, with a model the test writes: its matte is a quarter of a counter
// kept in the first state (r1o = r1i + 1), so the matte shows whether the states go back in
// every frame, and whether reset() and a new frame size start them again at zero.
TEST(MatteAi, RecurrentStatesAreFedBackFrameToFrame) {
    const std::string path = (test::scratch("matte_rvm") / "rvm.onnx").string();
    test::OnnxBuilder b;
    b.input("src", {1, 3, -1, -1})
        .input("r1i", {-1, -1, -1, -1}).input("r2i", {-1, -1, -1, -1}).input("r3i", {-1, -1, -1, -1}).input("r4i", {-1, -1, -1, -1})
        .input("downsample_ratio", {1})
        .output("fgr", {1, 3, -1, -1}).output("pha", {1, 1, -1, -1})
        .output("r1o", {-1, -1, -1, -1}).output("r2o", {-1, -1, -1, -1}).output("r3o", {-1, -1, -1, -1}).output("r4o", {-1, -1, -1, -1});
    b.initializer("zero", {}, {0.0f}).initializer("one", {}, {1.0f}).initializer("quarter", {}, {0.25f});
    b.node("Identity", {"src"}, {"fgr"});
    b.node("ReduceMean", {"src"}, {"grey"}, {{"axes", {1}}, {"keepdims", {1}, true}});
    b.node("Mul", {"grey", "zero"}, {"z"});
    b.node("Mul", {"downsample_ratio", "zero"}, {"zr"});
    b.node("Mul", {"r1i", "quarter"}, {"q"});
    b.node("Add", {"z", "q"}, {"zq"});
    b.node("Add", {"zq", "zr"}, {"pha"});
    b.node("Add", {"r1i", "one"}, {"r1o"});
    b.node("Identity", {"r2i"}, {"r2o"}).node("Identity", {"r3i"}, {"r3o"}).node("Identity", {"r4i"}, {"r4o"});
    b.save(path);

    matte::AiMatte m(path);
    EXPECT_NE(m.description().find("RVM"), std::string::npos);
    ImageU8 frame(64, 48, 4);
    std::fill(frame.data(), frame.data() + frame.size(), 128);
    std::vector<float> row(64);
    for (int i = 0; i < 6; ++i) {
        m.estimate(frame.view());
        m.row(20, row.data());
        EXPECT_NEAR(row[10], std::min(1.0, 0.25 * i), 1e-5) << "frame " << i;
    }
    m.reset();
    m.estimate(frame.view());
    m.row(20, row.data());
    EXPECT_NEAR(row[10], 0.0, 1e-5) << "after reset";
    m.estimate(frame.view());
    ImageU8 bigger(96, 64, 4);
    std::fill(bigger.data(), bigger.data() + bigger.size(), 128);
    m.estimate(bigger.view());
    std::vector<float> wide(96);
    m.row(20, wide.data());
    EXPECT_NEAR(wide[10], 0.0, 1e-5) << "after a size change";
}
