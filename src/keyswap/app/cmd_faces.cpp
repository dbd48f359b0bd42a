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
#include "keyswap/app/schema_docs.hpp"
#include "keyswap/app/schema_flags.hpp"
#include "keyswap/io/frames.hpp"
#include "keyswap/pipeline/interrupt.hpp"
#include "keyswap/core/error.hpp"
#include "keyswap/face/face_analyser.hpp"
#include "keyswap/face/face_swapper.hpp"
#include "keyswap/face/head_pose.hpp"
#include "keyswap/face/masks.hpp"
#include "keyswap/face/mouth_interior.hpp"
#include "keyswap/face/occlusion.hpp"
#include "keyswap/face/source_library.hpp"
#include "keyswap/io/media_reader.hpp"
#include "keyswap/io/media_writer.hpp"

namespace keyswap::app {
namespace {

struct FacesOptions {
    bool json = false;
    std::string draw, reference, frames;
};

const ParamTable<FacesOptions>& faces_params() {
    using S = FacesOptions;
    using T = ParamType;
    static const ParamTable<S> t("faces", {
        {"json", "JSON", "Print JSON (per frame: faces with id, box, 68 landmarks, distance).", &S::json, T::Bool, 0, 0, "", false},
        {"draw", "Drawing", "Write the first frame with boxes, landmarks, ids, the swap mask, occlusions and head turn to this picture.", &S::draw, T::String, 0, 0, "", false},
        {"reference", "Reference photo", "Photo of a person: print each face's identity distance to it.", &S::reference,
         T::String, 0, 0, "", false},
        {"frames", "Frames", "Frame range A-B (0-based, inclusive), A- or N, as for process.", &S::frames, T::String, 0, 0, "", false},
    });
    return t;
}

struct FacesSettings {
    FacesOptions o;
    face::FaceSettings face;  // only the analyser's rows are offered
};

struct FacesArgs {
    std::string input;
    std::shared_ptr<FlagValues> flags = std::make_shared<FlagValues>();
};

const Schema<FacesSettings>& faces_schema() {
    static const ParamTable<face::FaceSettings> detect = face::face_params().subset(
        "detect", {"detector", "detect-every", "detect-width", "smooth", "smooth-cutoff", "smooth-beta"});
    static const Schema<FacesSettings> s = [] {
        Schema<FacesSettings> sc;
        sc.add<FacesOptions>("faces", "Faces", faces_params(), [](FacesSettings& r) -> FacesOptions& { return r.o; });
        sc.add<face::FaceSettings>("detect", "Detection", detect, [](FacesSettings& r) -> face::FaceSettings& { return r.face; });
        return sc;
    }();
    return s;
}



// What the swap would use for this face: the mask's outline (yellow), the pixels the occlusion
// estimate keeps from the target (tinted magenta), the inside of the mouth (outlined cyan: a
// swap never pastes a source's teeth there), and the fitted head pose.
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
    face::SkinOcclusion().estimate(rgb, face::shifted(mesh, cv::Point2f(roi.tl())), area, face::OcclusionRegion::Face, occluded);
    cv::Mat tint(roi.size(), CV_8UC4, cv::Scalar(255, 0, 255, 255)), mixed;
    cv::addWeighted(img(roi), 0.5, tint, 0.5, 0, mixed);
    mixed.copyTo(img(roi), occluded);
    std::vector<std::vector<cv::Point>> mouth;
    cv::findContours(face::mouth_interior(rgb, face::shifted(mesh, cv::Point2f(roi.tl()))), mouth, cv::RETR_EXTERNAL,
                     cv::CHAIN_APPROX_NONE, roi.tl());
    cv::polylines(img, mouth, true, cv::Scalar(0, 230, 255, 255), 1);
    cv::polylines(img, std::vector<std::vector<cv::Point>>{hull}, true, cv::Scalar(255, 220, 0, 255), thick);
    // Head pose fitted on the generic 3D head: red x (the face's left-to-right), green up,
    // blue out of the face (where it looks), from the nose tip; the angles below the box.
    const face::HeadPose pose = face::estimate_pose(t.smooth);
    const auto ax = face::axis_points(pose);
    const cv::Scalar colours[3] = {cv::Scalar(255, 60, 60, 255), cv::Scalar(60, 255, 60, 255), cv::Scalar(60, 140, 255, 255)};
    for (int k = 0; k < 3; ++k) cv::arrowedLine(img, cv::Point(ax[0]), cv::Point(ax[k + 1]), colours[k], thick);
    char label[64];
    std::snprintf(label, sizeof label, "yaw %+.0f pitch %+.0f roll %+.0f", pose.yaw, pose.pitch, pose.roll);
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

void run_faces(const std::string& input, const FacesOptions& a, const face::FaceSettings& fs) {
    // The drawing is written after the first frame is read: check its name before any work.
    if (!a.draw.empty()) {
        io::check_output_path({input, a.reference}, a.draw);
        if (!io::choose_output_format(a.draw, {}).still)
            fail(ErrorKind::Usage, "--draw writes an image: use .png, .webp, .tif or .jpg", a.draw);
    }
    face::FaceAnalyser analyser(face::analyser_settings(fs));
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
    const io::FrameRange range = io::parse_frame_range(a.frames);
    ro.first_frame = range.first;
    ro.last_frame = range.last;
    io::MediaReader reader(input, ro);
    nlohmann::json frames = nlohmann::json::array();
    Frame f;
    bool drawn = false;
    pipeline::install_interrupt_handler();
    while (reader.read(f)) {
        // Ctrl-C: stop before the next frame; nothing half-written stays (the drawing is
        // written whole, under a temporary name first).
        if (pipeline::interrupt_requested()) fail(ErrorKind::Interrupted, "interrupted", input);
        const auto view = static_cast<ImageView<const std::uint8_t>>(f.rgba.view());
        analyser.track(view, f.time);
        nlohmann::json faces = nlohmann::json::array();
        for (auto& t : analyser.tracks()) {
            nlohmann::json j = {{"id", t.id}, {"box", {std::lround(t.box.x), std::lround(t.box.y), std::lround(t.box.width), std::lround(t.box.height)}}};
            nlohmann::json pts = nlohmann::json::array();
            for (auto& p : t.smooth) pts.push_back({std::lround(p.x * 10) / 10.0, std::lround(p.y * 10) / 10.0});
            j["landmarks"] = pts;
            const face::HeadPose pose = face::estimate_pose(t.smooth);
            j["pose"] = {{"yaw", std::lround(pose.yaw * 10) / 10.0}, {"pitch", std::lround(pose.pitch * 10) / 10.0},
                         {"roll", std::lround(pose.roll * 10) / 10.0}};
            if (reference) j["distance"] = face::embedding_distance(analyser.embedding(view, t), *reference);
            faces.push_back(j);
            if (!a.json) {
                std::printf("frame %lld  face id %d  box %.0f,%.0f %.0fx%.0f", static_cast<long long>(f.index), t.id,
                            t.box.x, t.box.y, t.box.width, t.box.height);
                std::printf("  yaw %+.0f pitch %+.0f roll %+.0f", pose.yaw, pose.pitch, pose.roll);
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
    if (a.json) std::cout << nlohmann::json{{"input", input}, {"frames", frames}}.dump(1) << "\n";
}

void add_faces(CLI::App& app) {
    auto args = std::make_shared<FacesArgs>();
    auto* cmd = app.add_subcommand("faces", "List the faces keyswap finds (ids, boxes, landmarks) in an image or video");
    cmd->add_option("input", args->input, "Image or video")->required();
    add_schema_flags(cmd, faces_schema(), args->flags);
    cmd->callback([args] {
        FacesSettings s;
        apply_flags(faces_schema(), s, *args->flags);
        run_faces(args->input, s.o, s.face);
    });
}

const CommandRegistrar reg("faces", add_faces);

}  // namespace

std::vector<SchemaSection> faces_schema_sections() { return sections_of("faces", faces_schema()); }

}  // namespace keyswap::app
