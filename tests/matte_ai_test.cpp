// AI matting (--key ai:FILE) with the real portrait models in ../shared/assets/models, through
// the whole keyer (model, upsampling, guided refinement, finish): on portrait photos the
// person's face is foreground and the backdrop's top corners are not; the pixels' colour is
// kept (no screen to unmix or despill); wrong models are refused naming the file.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "face_test_util.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/matte/keyer.hpp"

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
