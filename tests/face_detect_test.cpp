#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "face_test_util.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/face/landmarks.hpp"
#include "keyswap/face/model_paths.hpp"

using namespace keyswap;
using namespace keyswap::face;

TEST(FaceDetect, FindsBothFacesInTwoPeopleWithPlausibleLandmarks) {
    const ImageU8 img = test::load_rgba("faces/two_people.jpg");
    const auto& tracks = test::shared_analyser().analyse(img.view());
    ASSERT_EQ(tracks.size(), 2u);
    EXPECT_NE(tracks[0].id, tracks[1].id);
    for (auto& t : tracks) {
        const cv::Rect2f b = bounds(t.raw);
        // Landmarks sit inside the detected box's neighbourhood and are face-shaped:
        // eyes above the nose tip, nose tip above the chin.
        EXPECT_GT(iou(b, t.box), 0.3f);
        EXPECT_LT(t.raw[37].y, t.raw[30].y);
        EXPECT_LT(t.raw[30].y, t.raw[8].y);
        EXPECT_GT(inter_ocular(t.raw), 10.0f);
    }
}

TEST(FaceDetect, LandmarksAreSubPixel) {
    const ImageU8 img = test::load_rgba("faces/obama.jpg");
    const auto& tracks = test::shared_analyser().analyse(img.view());
    ASSERT_EQ(tracks.size(), 1u);
    int fractional = 0;
    for (auto& p : tracks[0].raw) fractional += (p.x != std::floor(p.x));
    EXPECT_GT(fractional, 30);  // dlib's own operator() would give whole pixels only
}

// The flattened cascade must give what dlib's own predictor gives with the same model: dlib
// rounds its points to whole pixels, so within half a pixel in x and y (0.71 px) and no more.
// The cascade amplifies tiny differences (int16 leaves moved points by up to 2.7 px), so this
// also guards the exactness of the transform and the feature reads.
TEST(FaceDetect, LandmarksMatchDlibsOwnPredictor) {
    dlib::shape_predictor reference;
    dlib::deserialize(landmark_model_path()) >> reference;
    const auto model = LandmarkModel::shared();
    cv::Mat scratch;
    int faces = 0;
    for (const char* file : {"faces/obama.jpg", "faces/two_people.jpg", "faces/biden.jpg",
                             "faces/people/rose_leslie_2.jpg", "faces/people/kit_harington_3.jpg"}) {
        const ImageU8 img = test::load_rgba(file);
        cv::Mat grey;
        cv::cvtColor(cv::Mat(img.height(), img.width(), CV_8UC4, const_cast<std::uint8_t*>(img.data())), grey,
                     cv::COLOR_RGBA2GRAY);
        dlib::cv_image<unsigned char> dimg(grey);
        for (const auto& t : test::shared_analyser().analyse(img.view())) {
            const cv::Rect box(cvRound(t.box.x), cvRound(t.box.y), cvRound(t.box.width), cvRound(t.box.height));
            const dlib::full_object_detection want =
                reference(dimg, dlib::rectangle(box.x, box.y, box.x + box.width - 1, box.y + box.height - 1));
            const Landmarks got = model->fit(img.view(), cv::Rect2f(box), scratch);
            ASSERT_EQ(want.num_parts(), static_cast<unsigned long>(kLandmarks));
            double sum = 0, worst = 0;
            for (int i = 0; i < kLandmarks; ++i) {
                const double d = std::hypot(got[i].x - want.part(i).x(), got[i].y - want.part(i).y());
                sum += d;
                worst = std::max(worst, d);
            }
            EXPECT_LT(sum / kLandmarks, 0.5) << file;
            EXPECT_LT(worst, 0.75) << file;
            ++faces;
        }
    }
    EXPECT_GE(faces, 4);
}

TEST(FaceDetect, NoFaceInAFlatImage) {
    ImageU8 img(320, 240, 4, 128);
    EXPECT_TRUE(test::shared_analyser().analyse(img.view()).empty());
}

TEST(FaceDetect, MissingModelFolderIsAModelErrorThatSaysRunSetup) {
    setenv("KEYSWAP_MODELS", "/nonexistent-keyswap-models", 1);
    try {
        model_path("dlib_face_recognition_resnet_model_v1.dat");
        unsetenv("KEYSWAP_MODELS");
        FAIL() << "no error";
    } catch (const Error& e) {
        unsetenv("KEYSWAP_MODELS");
        EXPECT_EQ(e.kind(), ErrorKind::Model);
        EXPECT_NE(std::string(e.what()).find("scripts/setup"), std::string::npos);
    }
}

TEST(FaceDetect, TinyAndEdgeFacesDoNotCrash) {
    const ImageU8 img = test::load_rgba("faces/obama.jpg");
    // Keep only the right 40% of the photo: the face is cut by the frame's left edge.
    const int x0 = img.width() * 6 / 10;
    ImageU8 crop(img.width() - x0, img.height(), 4);
    for (int y = 0; y < img.height(); ++y)
        std::copy(img.row(y) + x0 * 4, img.row(y) + img.width() * 4, crop.row(y));
    // Whatever is found of the cut face lies in the crop, with finite landmarks.
    for (const auto& t : test::shared_analyser().analyse(crop.view())) {
        EXPECT_GT(t.box.x + t.box.width, 0.f);
        EXPECT_LT(t.box.x, float(crop.width()));
        for (auto& p : t.raw) EXPECT_TRUE(std::isfinite(p.x) && std::isfinite(p.y));
    }
    ImageU8 tiny(24, 18, 4, 90);
    EXPECT_TRUE(test::shared_analyser().analyse(tiny.view()).empty());
    // Landmarks in a box that hangs off the frame stay finite.
    const Landmarks l = test::shared_analyser().fit(img.view(), cv::Rect2f(-50, -50, 120, 120));
    for (auto& p : l) EXPECT_TRUE(std::isfinite(p.x) && std::isfinite(p.y));
}
