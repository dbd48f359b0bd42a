// keyswap faces INPUT [--json] [--draw OUT.png] [--reference FILE]: what the face path sees.
// Lists detected faces (track id, box, 68 landmarks) per frame of an image or a video, with
// --reference the identity distance of each face to the reference photo's person, and with
// --draw the first frame with boxes, landmarks and ids drawn on it, plus the swap's mask outline,
// the pixels the occlusion estimate would keep (magenta) and the head's turn (arrow, yaw).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <opencv2/imgproc.hpp>

#include "keyswap/app/command.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/face/face_analyser.hpp"
#include "keyswap/face/masks.hpp"
#include "keyswap/face/occlusion.hpp"
#include "keyswap/face/source_library.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"

namespace keyswap::app {
namespace {

struct FacesArgs {
    std::string input, draw, reference;
    bool json = false;
    long max_frames = -1;
    face::AnalyserSettings analyser;
};

// What the swap would use for this face: the mask's outline (yellow), the pixels the occlusion
// estimate keeps from the target (tinted magenta), and the head's turn from the landmarks.
void draw_swap_view(cv::Mat& img, const face::Track& t, int thick) {
    const face::Mesh mesh = face::make_mesh(t.smooth);
    std::vector<cv::Point> pts, hull;
    for (int i : face::area_points(face::MaskArea::Face)) pts.emplace_back(mesh[i]);
    cv::convexHull(pts, hull);
    const cv::Rect roi = cv::boundingRect(hull) & cv::Rect(0, 0, img.cols, img.rows);
    if (roi.width < 8 || roi.height < 8) return;
    cv::Mat rgb, area = cv::Mat::zeros(roi.size(), CV_8U), occluded;
    cv::cvtColor(img(roi), rgb, cv::COLOR_RGBA2RGB);
    std::vector<cv::Point> local;
    for (auto& p : hull) local.push_back(p - roi.tl());
    cv::fillConvexPoly(area, local, 255);
    face::SkinOcclusion().estimate(rgb, face::shifted(mesh, cv::Point2f(roi.tl())), area, false, occluded);
    cv::Mat tint(roi.size(), CV_8UC4, cv::Scalar(255, 0, 255, 255)), mixed;
    cv::addWeighted(img(roi), 0.5, tint, 0.5, 0, mixed);
    mixed.copyTo(img(roi), occluded);
    cv::polylines(img, std::vector<std::vector<cv::Point>>{hull}, true, cv::Scalar(255, 220, 0, 255), thick);
    // Head turn: an arrow from the nose bridge, as far sideways as the landmarks say it is turned.
    const float yaw = face::yaw_ratio(t.smooth), iod = face::inter_ocular(t.smooth);
    const cv::Point2f from = t.smooth[27];
    cv::arrowedLine(img, cv::Point(from), cv::Point(from + cv::Point2f(yaw * iod * 1.5f, 0)), cv::Scalar(0, 200, 255, 255), thick);
    char label[48];
    std::snprintf(label, sizeof label, "yaw %+.2f", yaw);
    cv::putText(img, label, cv::Point(t.box.x, t.box.br().y + 18 * thick), cv::FONT_HERSHEY_SIMPLEX, 0.5 * thick,
                cv::Scalar(0, 200, 255, 255), thick);
}

void draw_faces(Frame& f, const std::vector<face::Track>& tracks) {
    cv::Mat img(f.rgba.height(), f.rgba.width(), CV_8UC4, f.rgba.data());
    const int thick = std::max(1, f.rgba.width() / 640);
    for (const auto& t : tracks) draw_swap_view(img, t, thick);
    for (const auto& t : tracks) {
        const cv::Scalar box_colour(0, 255, 0, 255), dot_colour(255, 40, 40, 255);
        cv::rectangle(img, cv::Rect(t.box), box_colour, thick);
        for (const auto& p : t.smooth) cv::circle(img, cv::Point(p), thick + 1, dot_colour, cv::FILLED);
        cv::putText(img, "id " + std::to_string(t.id), cv::Point(t.box.tl()) + cv::Point(0, -6 * thick),
                    cv::FONT_HERSHEY_SIMPLEX, 0.6 * thick, box_colour, thick);
    }
}

void run_faces(const FacesArgs& a) {
    // The drawing is written after the first frame is read: check its name before any work.
    if (!a.draw.empty()) {
        io::check_output_path({a.input, a.reference}, a.draw);
        if (!io::choose_output_format(a.draw, {}).still)
            fail(ErrorKind::Usage, "--draw writes an image: use .png, .webp, .tif or .jpg", a.draw);
    }
    face::FaceAnalyser analyser(a.analyser);
    std::optional<face::Embedding> reference;
    if (!a.reference.empty()) {
        const Frame ref = io::read_image(a.reference);
        const auto& found = analyser.analyse(ref.rgba.view());
        if (found.empty()) fail(ErrorKind::NoFace, "no face found in the reference photo", a.reference);
        reference = analyser.embed(ref.rgba.view(), found[0].raw);
        analyser.reset();
    }
    io::ReaderOptions ro;
    ro.want_audio = false;
    if (a.max_frames > 0) ro.last_frame = a.max_frames - 1;
    io::MediaReader reader(a.input, ro);
    nlohmann::json frames = nlohmann::json::array();
    Frame f;
    bool drawn = false;
    while (reader.read(f)) {
        const auto view = static_cast<ImageView<const std::uint8_t>>(f.rgba.view());
        analyser.track(view, f.time);
        nlohmann::json faces = nlohmann::json::array();
        for (auto& t : analyser.tracks()) {
            nlohmann::json j = {{"id", t.id}, {"box", {std::lround(t.box.x), std::lround(t.box.y), std::lround(t.box.width), std::lround(t.box.height)}}};
            nlohmann::json pts = nlohmann::json::array();
            for (auto& p : t.smooth) pts.push_back({std::lround(p.x * 10) / 10.0, std::lround(p.y * 10) / 10.0});
            j["landmarks"] = pts;
            if (reference) j["distance"] = face::embedding_distance(analyser.embedding(view, t), *reference);
            faces.push_back(j);
            if (!a.json) {
                std::printf("frame %lld  face id %d  box %.0f,%.0f %.0fx%.0f", static_cast<long long>(f.index), t.id,
                            t.box.x, t.box.y, t.box.width, t.box.height);
                if (reference) std::printf("  distance %.3f%s", j["distance"].get<double>(),
                                           j["distance"].get<double>() <= 0.6 ? " (same person)" : "");
                std::printf("\n");
            }
        }
        if (!a.json && faces.empty()) std::printf("frame %lld  no face\n", static_cast<long long>(f.index));
        frames.push_back({{"index", f.index}, {"time", f.time}, {"faces", faces}});
        if (!a.draw.empty() && !drawn) {
            draw_faces(f, analyser.tracks());
            io::write_image(a.draw, f);
            drawn = true;
        }
    }
    if (a.json) std::cout << nlohmann::json{{"input", a.input}, {"frames", frames}}.dump(1) << "\n";
}

void add_faces(CLI::App& app) {
    auto args = std::make_shared<FacesArgs>();
    auto* cmd = app.add_subcommand("faces", "List the faces keyswap finds (ids, boxes, landmarks) in an image or video");
    cmd->add_option("input", args->input, "Image or video")->required();
    cmd->add_flag("--json", args->json, "Print JSON (per frame: faces with id, box, 68 landmarks, distance)");
    cmd->add_option("--draw", args->draw, "Write the first frame with boxes, landmarks, ids, the swap mask, occlusions and head turn to this picture");
    cmd->add_option("--reference", args->reference, "Photo of a person: print each face's identity distance to it");
    cmd->add_option("--frames", args->max_frames, "Stop after this many frames");
    cmd->add_option("--detector", args->analyser.detector, "hog or cnn")->check(CLI::IsMember({"hog", "cnn"}));
    cmd->add_option("--detect-every", args->analyser.detect_every, "Frames between detections")->check(CLI::Range(1, 120));
    cmd->callback([args] { run_faces(*args); });
}

const CommandRegistrar reg("faces", add_faces);

}  // namespace
}  // namespace keyswap::app
