#include "keyswap/face/face_swapper.hpp"

#include <optional>
#include <set>
#include <utility>
#include <opencv2/imgproc.hpp>

#include "keyswap/core/error.hpp"
#include "keyswap/face/blend.hpp"
#include "keyswap/face/colour_transfer.hpp"
#include "keyswap/face/detail_match.hpp"
#include "keyswap/face/head_pose.hpp"
#include "keyswap/face/masks.hpp"
#include "keyswap/face/mouth_interior.hpp"
#include "keyswap/face/arcface.hpp"
#include "keyswap/face/enhancer.hpp"
#include "keyswap/face/neural_swapper.hpp"
#include "keyswap/face/occlusion.hpp"
#include "keyswap/face/occlusion_model.hpp"
#include "keyswap/face/selection.hpp"
#include "keyswap/face/shape_transfer.hpp"
#include "keyswap/face/warp.hpp"

namespace keyswap::face {

const ParamTable<FaceSettings>& face_params() {
    using S = FaceSettings;
    static const ParamTable<S> t("face", {
        {"source", "Source photo", "Photo of the face to swap in; repeat to give several photos of the same person.",
         &S::source, ParamType::StringList, 0, 0, "", false},
        {"source-face", "Source face", "Which face to take from a source photo with several (0 = leftmost; -1 = the only one).",
         &S::source_face, ParamType::Int, -1, 64, "", false},
        {"faces", "Faces", "Swap one face, all faces, or the faces that match --reference.", choice(&S::faces, kFaceChoiceNames),
         ParamType::Choice, 0, 0, "", true},
        {"reference", "Reference photo", "Photo of the person to replace (with --faces reference).", &S::reference,
         ParamType::String, 0, 0, "", false},
        {"reference-distance", "Reference distance", "Identity distance under which a face counts as the reference person.",
         &S::reference_distance, ParamType::Float, 0.1, 1.5},
        {"face-order", "Face order", "With --faces one: take the largest face or the leftmost.", choice(&S::face_order, kFaceOrderNames),
         ParamType::Choice, 0, 0, "", true},
        {"mask", "Mask", "Part of the face replaced.", choice(&S::mask, kMaskAreaNames), ParamType::Choice, 0, 0, "", true},
        {"occlusion", "Keep occluders",
         "Keep what is in front of the target's face (glasses frames, a hand, a microphone) from the target.",
         &S::occlusion, ParamType::Bool},
        {"keep-mouth", "Keep mouth", "Keep the target's inner mouth (real teeth and tongue).", &S::keep_mouth,
         ParamType::Bool},
        {"keep-glasses", "Keep glasses",
         "Without --occlusion: where a glasses frame is found across the target's nose, keep it (and what else covers "
         "the face above the nose) from the target; off = paint over.",
         &S::keep_glasses, ParamType::Bool},
        {"detector", "Detector",
         "Face detector: hog (dlib, fast), cnn (dlib MMOD, more poses, slower), or an ONNX model: scrfd:FILE or yunet:FILE "
         "(turned faces too).",
         &S::detector, ParamType::String, 0, 0, "", false},
        {"detect-every", "Detect every", "Frames between face detections; landmarks track faces in between.",
         &S::detect_every, ParamType::Int, 1, 120, "frames"},
        {"detect-width", "Detect width", "Width the frame is shrunk to for detection (smaller is faster, misses small faces).",
         &S::detect_width, ParamType::Int, 160, 3840, "px", false},
        {"smooth", "Smooth", "Smooth landmarks over time (One Euro filter) against jitter.", &S::smooth, ParamType::Bool},
        {"smooth-cutoff", "Smooth cutoff", "Smoothing cutoff at rest; lower is steadier but lags more.",
         &S::smooth_cutoff, ParamType::Float, 0.05, 30, "Hz", false},
        {"smooth-beta", "Smooth speed gain", "How fast smoothing lets go when the face moves.", &S::smooth_beta,
         ParamType::Float, 0, 100, "", false},
        {"color-match", "Colour match",
         "Match the source's colour to the target: Lab statistics, plus the target's light (a smooth fit; lab-light) "
         "or its blurred shading (lab-shading, carries some of the target's features).",
         choice(&S::color_match, kColourMatchNames), ParamType::Choice, 0, 0, "", true},
        {"match-detail", "Match detail", "Sharpen or soften the swapped face to the target's sharpness.",
         &S::match_detail, ParamType::Bool},
        {"blend", "Blend", "Feathered mask blend, or Poisson (seamless, slower).", choice(&S::blend, kBlendModeNames), ParamType::Choice, 0, 0,
         "", true},
        {"face-shape", "Face shape",
         "Move the target's face proportions (jaw, chin, nose, eyes, mouth position) toward the source's, turned heads too; "
         "0 = keep the target's. Moves the pixels around the face (not occluders or a kept mouth); whole-face mask, classic "
         "swapper only.",
         &S::face_shape, ParamType::Float, 0, 1},
        {"reproject", "3D warp",
         "Carry the source face onto the target through a 3D head, so a turned head keeps its round shape and its far "
         "side; off = a flat mesh warp.",
         &S::reproject, ParamType::Bool},
        {"feather", "Feather", "Width of the soft edge, in eye distances.", &S::feather, ParamType::Float, 0.02, 2.0},
        {"swapper", "Swapper",
         "How the face is redrawn: classic (the source photo warped onto the target) or inswapper:FILE (a neural "
         "generator such as inswapper_128.onnx; needs --embedder).",
         &S::swapper, ParamType::String, 0, 0, "", false},
        {"embedder", "Embedder", "ArcFace identity model for a neural swapper (such as w600k_r50.onnx).", &S::embedder,
         ParamType::String, 0, 0, "", false},
        {"enhance", "Enhance", "Restore the swapped face with a face restorer: gfpgan:FILE (such as GFPGANv1.4.onnx) or codeformer:FILE.",
         &S::enhance, ParamType::String, 0, 0, "", false},
        {"enhance-blend", "Enhance blend", "How much of the restored face is used (with --enhance).", &S::enhance_blend,
         ParamType::Float, 0, 1},
        {"occlusion-model", "Occlusion model",
         "A model that finds what covers the face, whatever its colour: an occlusion model (XSeg layout) or a face "
         "parser (BiSeNet layout: glasses, hair, hands stay the target's); implies --occlusion.",
         &S::occlusion_model, ParamType::String, 0, 0, "", false},
    });
    return t;
}

ModelSpec parse_swapper(const std::string& text) {
    if (text.empty() || text == "classic") return {};
    const std::string prefix = "inswapper:";
    if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size()) return {SwapperKind::InSwapper, text.substr(prefix.size())};
    fail(ErrorKind::Usage, "--swapper takes classic or inswapper:FILE, not '" + text + "'");
}

EnhancerSpec parse_enhancer(const std::string& text) {
    if (text.empty() || text == "off") return {};
    for (const std::string prefix : {"gfpgan:", "codeformer:"})
        if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size()) return {prefix == "codeformer:", text.substr(prefix.size())};
    fail(ErrorKind::Usage, "--enhance takes gfpgan:FILE or codeformer:FILE, not '" + text + "'");
}

AnalyserSettings analyser_settings(const FaceSettings& s) {
    AnalyserSettings a;
    a.detector = parse_detector(s.detector);
    a.detect_every = s.detect_every;
    a.detect_width = s.detect_width;
    a.background_search = s.background_detect;
    a.smooth = s.smooth;
    a.smoothing.min_cutoff = s.smooth_cutoff;
    a.smoothing.beta = s.smooth_beta;
    return a;
}

namespace {
// Extra inner-mouth opening (eye distances) over which the target's mouth fades fully in.
constexpr float kMouthRamp = 0.08f;
// Symmetry fill: where the source photo shows a part of the face at a lower share of the
// resolution the target needs than its mirror image does (see `mirror_weights`), by more than
// kMirrorStart, the mirror image takes over, fully kMirrorRange later; and only for heads
// turned differently by more than kMirrorYaw degrees (fully kMirrorYawRange later): faces are
// not quite symmetric, and their light rarely is, so a small turn is better left alone.
// Eyes: set in unsquashed from an eye opening below kEyeSquash times the source's, fully
// kEyeRamp further below.
constexpr float kEyeSquash = 0.85f;
constexpr float kEyeRamp = 0.25f;
// A source face enlarged more than this onto a target face gives a visibly soft swap, however
// its detail is matched afterwards (the warp has nothing finer than the photo's pixels).
constexpr float kSoftEnlarge = 2.5f;
// Around an occluder the swap (and a reshape) ramps back in over this many eye distances: its
// anti-aliased edge needs the same room whatever the face's feather is.
constexpr float kOccluderRamp = 0.075f;
// Glasses: kept from when the smoothed share of the nose bridge an occluder crosses reaches
// kGlassesBridge (occlusion.hpp) until it falls under kGlassesOff; each frame moves the
// smoothed share kGlassesFollow of the way to its own.
constexpr float kGlassesOff = 0.15f;
constexpr float kGlassesFollow = 0.3f;
constexpr float kMirrorStart = 0.2f;
constexpr float kMirrorRange = 0.4f;
constexpr float kMirrorYaw = 10.0f;
constexpr float kMirrorYawRange = 15.0f;

// Per mesh point, how much of the source's mirror image to use. A part of the face the source
// shows edge-on (turned away) but the target shows squarely would be stretched from a few
// pixels into a smear; its mirror image on the other side of the face is seen well. Resolution
// share = source visibility / target visibility, capped at 1 (enough is enough).
std::array<float, kMeshPoints> mirror_weights(const std::array<float, kMeshPoints>& source,
                                              const std::array<float, kMeshPoints>& mirror,
                                              const std::array<float, kMeshPoints>& target, float turn) {
    std::array<float, kMeshPoints> w{};
    const float gate = std::clamp((turn - kMirrorYaw) / kMirrorYawRange, 0.0f, 1.0f);
    if (gate <= 0) return w;
    for (int i = 0; i < kMeshPoints; ++i) {
        const float need = std::max(target[i], 0.05f);
        const float gain = std::min(1.0f, mirror[i] / need) - std::min(1.0f, source[i] / need);
        const float x = std::clamp((gain - kMirrorStart) / kMirrorRange, 0.0f, 1.0f);
        w[i] = gate * x * x * (3.0f - 2.0f * x);
    }
    return w;
}

// `name` is the photo's file (settings' `reference`), for the message.
std::optional<Embedding> reference_embedding(const ImageU8* reference, const std::string& name, FaceAnalyser& analyser) {
    if (!reference) return std::nullopt;
    const ImageU8 rgba = to_rgba(*reference);
    const auto& found = analyser.analyse(rgba.view());
    if (found.empty())
        fail(ErrorKind::NoFace, "no face found in the reference photo; use a clear photo of the person to replace", name);
    // The largest face is the person the photo is of.
    const Track* best = &found[0];
    for (auto& t : found)
        if (inter_ocular(t.raw) > inter_ocular(best->raw)) best = &t;
    Embedding e = analyser.embed(rgba.view(), best->raw);
    analyser.reset();
    return e;
}
}  // namespace

struct FaceSwapper::Impl {
    FaceSettings s;
    FaceAnalyser analyser;
    SourceLibrary library;
    std::optional<Embedding> reference_emb;
    FaceSelector selector;
    std::unique_ptr<OcclusionEstimator> occlusion;
    std::unique_ptr<NeuralSwapper> neural;
    std::unique_ptr<FaceEnhancer> enhancer;
    // Per-face work buffers, reused from frame to frame.
    PiecewiseWarp warp, mirror_warp;
    DenseMesh dense;
    MaskRenderer masks;
    ColourMatcher colour;
    DetailMatcher detail;
    ShapeWarp shape;
    // Notes found while swapping (a source photo too small for the face it lands on), once per
    // photo, until the caller takes them.
    std::vector<std::string> notes;
    std::set<std::string> warned_soft;
    cv::Mat eye_img, eye_mask, warped, warped_usable, unusable, mirror_warped, mirror_usable, mirror_weight, target, occluded, reshaped,
        ring_target, ring_weight, held, held_ramp, warped_mouth, mouth_fade, frame_occluders,
        coverage, restored, restored_cover;

    Impl(const FaceSettings& st, const std::vector<SourceImage>& sources, const ImageU8* reference)
        : s(st), analyser(analyser_settings(st)), library(sources, st.source_face, analyser),
          reference_emb(reference_embedding(reference, st.reference, analyser)),
          selector(st.faces, st.face_order, reference_emb, st.reference_distance) {
        face_params().validate(st);
        if (!s.occlusion_model.empty()) {
            occlusion = std::make_unique<ModelOcclusion>(s.occlusion_model);
        } else {
            occlusion = std::make_unique<SkinOcclusion>();
        }
        const ModelSpec swapper = parse_swapper(s.swapper);
        if (swapper.kind == SwapperKind::InSwapper) {
            if (s.embedder.empty())
                fail(ErrorKind::Usage, "--swapper inswapper needs --embedder FILE (the ArcFace model it was trained "
                                       "with, such as w600k_r50.onnx)");
            neural = std::make_unique<NeuralSwapper>(swapper.model);
            ArcFaceEmbedder embedder(s.embedder);
            std::vector<std::vector<float>> ids;
            for (const auto& f : library.faces())
                if (!f.mirrored) ids.push_back(embedder.embed(f.rgb, f.landmarks));
            neural->set_identity(mean_identity(ids), s.embedder);
        }
        if (const EnhancerSpec e = parse_enhancer(s.enhance); !e.model.empty())
            enhancer = std::make_unique<FaceEnhancer>(e.model, e.codeformer ? EnhancerKind::CodeFormer : EnhancerKind::Gfpgan);
    }

    // How much of the target's inner mouth to keep. Always all with keep-mouth; otherwise as
    // much as the target's mouth is open wider than the source photo's, because a closed
    // source mouth stretched over an open one shows smeared lips where the teeth should be.
    float mouth_kept(const Landmarks& target, const Landmarks& source) const {
        if (s.keep_mouth) return 1.0f;
        return std::clamp((mouth_opening(target) - mouth_opening(source)) / kMouthRamp, 0.0f, 1.0f);
    }
    // The other way round: how much of the source's inner mouth to leave out, as much as the
    // source photo's mouth is open wider than the target's. Squeezed into a mouth less open
    // than its own, the source's teeth (and those the detector's inner lip line cuts through)
    // would show as a white band on the target's lips.
    float mouth_squeezed(const Landmarks& target, const Landmarks& source) const {
        return std::clamp((mouth_opening(source) - mouth_opening(target)) / kMouthRamp, 0.0f, 1.0f);
    }

    // Eyes as regions of their own: where the target's eye is more closed than the source's
    // (a squint, a laugh, a blink), the mesh warp would squash the source's eye into the slit,
    // a flattened iris that reads as nobody's. Instead the source's eye is set unsquashed (a
    // similarity on its corners) into the target's eye opening, which crops it like the
    // target's lids do; the lids around it stay the mesh warp's.
    void set_eyes(const SourceFace& src, const Mesh& local) {
        for (int e : {36, 42}) {
            auto opening = [&](auto&& p) {
                const float w = static_cast<float>(cv::norm(p[e + 3] - p[e]));
                return (cv::norm(p[e + 1] - p[e + 5]) + cv::norm(p[e + 2] - p[e + 4])) / (2.0f * std::max(1e-3f, w));
            };
            const float ratio = static_cast<float>(opening(local) / std::max(1e-3, opening(src.landmarks)));
            const float amount = std::clamp((kEyeSquash - ratio) / kEyeRamp, 0.0f, 1.0f);
            if (amount <= 0.0f) continue;
            const cv::Point2f sa = src.landmarks[e], sb = src.landmarks[e + 3], ta = local[e], tb = local[e + 3];
            const cv::Point2f sd = sb - sa, td = tb - ta;
            const float ls = static_cast<float>(cv::norm(sd)), lt = static_cast<float>(cv::norm(td));
            if (ls < 2.0f || lt < 2.0f) continue;
            std::vector<cv::Point> poly;
            for (int i = e; i < e + 6; ++i) poly.emplace_back(cv::Point(cvRound(local[i].x), cvRound(local[i].y)));
            const int grow = std::max(2, static_cast<int>(0.25f * lt));
            const cv::Rect box = (cv::boundingRect(poly) + cv::Size(2 * grow, 2 * grow) - cv::Point(grow, grow)) &
                                 cv::Rect(0, 0, warped.cols, warped.rows);
            if (box.width < 3 || box.height < 3) continue;
            // Target pixel -> source pixel: rotate and scale about the eye corners' midpoint.
            const float scale = ls / lt, angle = std::atan2(sd.y, sd.x) - std::atan2(td.y, td.x);
            const float c = scale * std::cos(angle), sn = scale * std::sin(angle);
            const cv::Point2f tm = (ta + tb) * 0.5f - cv::Point2f(box.tl()), sm = (sa + sb) * 0.5f;
            const cv::Matx23f to_src(c, -sn, sm.x - (c * tm.x - sn * tm.y), sn, c, sm.y - (sn * tm.x + c * tm.y));
            cv::warpAffine(src.rgb, eye_img, to_src, box.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
            eye_mask.create(box.size(), CV_32F);
            eye_mask.setTo(0);
            for (auto& q : poly) q -= box.tl();
            cv::fillPoly(eye_mask, std::vector<std::vector<cv::Point>>{poly}, amount, cv::LINE_AA);
            const double sigma = std::max(0.6, 0.04 * lt);
            cv::GaussianBlur(eye_mask, eye_mask, cv::Size(), sigma);
            cv::Mat eye_region = warped(box);
            mix_into(eye_region, eye_img, eye_mask);
        }
    }

    // Glasses stay in front without --occlusion: the whole-face estimate also keeps a face's
    // heavy eye make-up, lashes and sideburns, so it is used (above the nose) only on a face
    // whose nose bridge it finds crossed, which only a frame does. The decision follows the
    // track smoothly, so a frame does not flicker in and out of a video.
    void keep_glasses(Track& t, const Mesh& local) {
        occlusion->estimate(target, local, masks.hard(), OcclusionRegion::Face, frame_occluders);
        const float cover = bridge_cover(frame_occluders, local);
        t.glasses = t.glasses < 0.0f ? cover : t.glasses + kGlassesFollow * (cover - t.glasses);
        // Two thresholds: a frame found in some frames of a shot and missed in others (a thin
        // metal one on a turned head) is kept throughout, not switched on and off.
        t.wears_glasses = t.glasses >= (t.wears_glasses ? kGlassesOff : kGlassesBridge);
        if (!t.wears_glasses) return;
        keep_above_nose(frame_occluders, local);
        cv::bitwise_or(occluded, frame_occluders, occluded);
    }

    // Where the source shows part of the face only edge-on, takes it from the mirror image.
    void fill_by_symmetry(const SourceFace& mirror, const SourceFace& src, const Mesh& local, const HeadPose& target_pose,
                          const HeadFit* target_fit, cv::Point2f origin) {
        const auto w = mirror_weights(src.visibility, mirror.visibility, visibility(target_pose),
                                      static_cast<float>(std::abs(target_pose.yaw - src.pose.yaw)));
        if (*std::max_element(w.begin(), w.end()) < 0.02f) return;
        if (target_fit) {
            reprojected_mesh(*target_fit, origin, mirror.atlas, mirror.triangles, dense);
            mirror_warp.build(dense, local, mirror.mesh, warped.size());
        } else {
            mirror_warp.build(local, mirror.mesh, mirror.triangles, warped.size());
        }
        mirror_warp.apply(mirror.rgb, mirror_warped);
        mirror_warp.apply(mirror.usable, mirror_usable);
        render_vertex_field(local, src.triangles, w, warped.size(), mirror_weight);
        mix_into(warped, mirror_warped, mirror_weight);
        mix_into(warped_usable, mirror_usable, mirror_weight);
    }

    // Swaps one tracked face; false when it is too small or outside the frame.
    double enhance_ms = 0;

    bool swap_one(Frame& frame, Track& t, const ImageF32* matte, ThreadPool& pool, double& swap_ms, double& blend_ms) {
        Stopwatch sw;
        const float iod = inter_ocular(t.smooth);
        if (iod < 6.0f) return false;  // too small to show anything but blur
        t.source = library.best_match(t.smooth, t.source);
        const SourceFace& src = library.faces()[t.source];
        if (!neural && !enhancer) {
            const float src_iod = inter_ocular(src.landmarks);
            const float enlarge = iod / std::max(1.0f, src_iod);
            if (enlarge > kSoftEnlarge && warned_soft.insert(src.name).second)
                notes.push_back(src.name + cv::format(": warning: its face is enlarged %.1fx onto a face %d px between the eyes "
                                                      "(%d px in the photo), so the swap is soft; a larger photo, or --enhance, "
                                                      "gives a sharper one",
                                                      enlarge, static_cast<int>(iod), static_cast<int>(src_iod)));
        }
        // Shape transfer: the face is drawn on landmarks moved toward the source's proportions,
        // and the target's own pixels around it move along (see shape_transfer.hpp).
        // Only the classic swap is reshaped: a generator redraws the target's own face from its
        // crop, and reshaping that input only distorts what it sees.
        const Mesh before = make_mesh(t.smooth);
        const Landmarks shaped = s.face_shape > 0 && !neural
                                     ? within_area(transfer_shape(t.smooth, estimate_pose(t.smooth), src.landmarks, src.pose,
                                                                  static_cast<float>(s.face_shape)),
                                                   t.smooth, s.mask, s.keep_mouth)
                                     : t.smooth;
        const Mesh mesh = make_mesh(shaped);
        float moved = 0;
        for (int i = 0; i < kMeshPoints; ++i) moved = std::max(moved, static_cast<float>(cv::norm(mesh[i] - before[i])));
        const bool reshape = moved > 0.25f;
        const cv::Rect2f mb = bounds(mesh) | bounds(before);
        const auto around = [&](int margin) {
            return cv::Rect(cv::Point(static_cast<int>(mb.x) - margin, static_cast<int>(mb.y) - margin),
                            cv::Point(static_cast<int>(mb.br().x) + margin + 1, static_cast<int>(mb.br().y) + margin + 1)) &
                   cv::Rect(0, 0, frame.rgba.width(), frame.rgba.height());
        };
        const cv::Rect roi = around(2);
        if (roi.width < 8 || roi.height < 8) return false;
        const Mesh local = shifted(mesh, cv::Point2f(roi.tl()));

        const cv::Mat full(frame.rgba.height(), frame.rgba.width(), CV_8UC4, frame.rgba.data());
        const float feather = std::max(1.0f, static_cast<float>(s.feather) * iod);
        // Whatever covers the target's face stays: everywhere with --occlusion; otherwise only
        // above the brows, so the mask stops at the hairline instead of pasting skin over hair.
        // An occlusion model is loaded to be used: it implies --occlusion.
        const bool whole_face = s.occlusion || !s.occlusion_model.empty();
        bool occlusion_found = false;
        if (reshape) {
            // What stays where it is: occluders (found on the target as it was, on its own
            // mesh: everything in front with --occlusion, else glasses and a fringe) and, with
            // keep-mouth, the inner mouth; the rest of the target's pixels move
            // first, over the ring where the displacement fades too, and the swap then works
            // on the face's region of the moved frame.
            const cv::Rect ring = around(static_cast<int>(0.8f * iod) + 2);
            cv::cvtColor(full(ring), ring_target, cv::COLOR_RGBA2RGB);
            const cv::Rect face_in_ring = roi - ring.tl();
            shape.build(shifted(before, cv::Point2f(ring.tl())), shifted(mesh, cv::Point2f(ring.tl())), ring.size(), iod);
            shape.apply(ring_target, reshaped);
            shape.support().copyTo(ring_weight);
            const bool holding = whole_face || s.keep_mouth || s.keep_glasses;
            if (holding) {
                const Mesh before_local = shifted(before, cv::Point2f(roi.tl()));
                held.create(roi.size(), CV_8U);
                held.setTo(0);
                if (whole_face || s.keep_glasses) {
                    ring_target(face_in_ring).copyTo(target);  // the target as it was
                    masks.render(s.mask, 0.0f, before_local, feather, roi.size());
                    occlusion->estimate(target, before_local, masks.hard(),
                                        whole_face ? OcclusionRegion::Face : OcclusionRegion::Forehead, occluded);
                    if (!whole_face) keep_glasses(t, before_local);
                    occluded.copyTo(held);
                    occlusion_found = true;
                }
                if (s.keep_mouth) cv::bitwise_or(held, mouth_interior(ring_target(face_in_ring), before_local), held);
            }
            if (holding && cv::countNonZero(held) > 0) {
                // Held pixels and their anti-aliased edge (a little beyond what the estimate
                // marks) are not written at all; the move ramps back in over a few pixels.
                const float edge = std::max(1.0f, 0.03f * iod), ramp = std::max(1.0f, kOccluderRamp * iod);
                cv::distanceTransform(held == 0, held_ramp, cv::DIST_L2, 3);
                held_ramp.convertTo(held_ramp, CV_32F, 1.0 / ramp, -edge / ramp);
                cv::max(held_ramp, 0.0, held_ramp);
                cv::min(held_ramp, 1.0, held_ramp);
                cv::Mat inner = ring_weight(face_in_ring);
                cv::multiply(inner, held_ramp, inner);
            }
            blend_region(frame.rgba.view(), ring, reshaped, ring_weight, matte, pool);
        }
        cv::cvtColor(full(roi), target, cv::COLOR_RGBA2RGB);
        const Landmarks local_landmarks = landmarks_of(local);
        if (neural) {
            // The generator redraws the target's own face (its pose, expression, light), so
            // nothing of the source photo is warped and no source hair can show.
            neural->swap(target, local_landmarks, warped, coverage);
            warped_usable.create(roi.size(), CV_8U);
            warped_usable.setTo(255);
        } else {
            const HeadPose pose = estimate_pose(shaped);
            std::optional<HeadFit> fit;
            if (s.reproject) {
                fit = fit_head(mesh, pose);
                reprojected_mesh(*fit, cv::Point2f(roi.tl()), src.atlas, src.triangles, dense);
                warp.build(dense, local, src.mesh, roi.size());
            } else {
                warp.build(local, src.mesh, src.triangles, roi.size());
            }
            warp.apply(src.rgb, warped);
            warp.apply(src.usable, warped_usable);
            fill_by_symmetry(library.partner(t.source), src, local, pose, fit ? &*fit : nullptr, cv::Point2f(roi.tl()));
            set_eyes(src, local);
        }
        swap_ms += sw.ms();

        sw.reset();
        // The target's mouth is kept by its pixels (teeth the inner lip line cuts through too).
        const float kept = neural ? (s.keep_mouth ? 1.0f : 0.0f) : mouth_kept(t.smooth, src.landmarks);
        masks.render(s.mask, kept, local, feather, roi.size(), kept > 0.0f ? mouth_interior(target, local) : cv::Mat());
        if (!occlusion_found) {
            occlusion->estimate(target, local, masks.hard(), whole_face ? OcclusionRegion::Face : OcclusionRegion::Forehead,
                                occluded);
            if (!whole_face && s.keep_glasses) keep_glasses(t, local);
        }
        // Nor is the source's own hair or background inside its outline pasted over the face.
        cv::compare(warped_usable, 128, unusable, cv::CMP_LT);
        cv::bitwise_and(unusable, masks.hard(), unusable);
        cv::bitwise_or(occluded, unusable, occluded);
        target.copyTo(warped, unusable);  // so no blend (Poisson's gradients included) sees the source's hair
        masks.exclude(occluded, std::max(1.0f, kOccluderRamp * iod));
        if (const float squeezed = neural ? 0.0f : mouth_squeezed(t.smooth, src.landmarks); squeezed > 0.0f) {
            // Where the source's teeth land, the target's own mouth shows through (softly, so a
            // mouth opening in a video fades the source's teeth in rather than switching them).
            warp.apply(src.mouth, warped_mouth);
            warped_mouth.convertTo(mouth_fade, CV_32F, squeezed / 255.0);
            cv::GaussianBlur(mouth_fade, mouth_fade, cv::Size(), std::max(0.5, 0.02 * iod));
            masks.fade(mouth_fade);
        }
        // The swap's weight: the masks', times where a neural swapper's crop reached.
        const cv::Mat weight = neural ? masks.weight().mul(coverage) : masks.weight();
        blend_ms += sw.ms();

        sw.reset();
        // A generator keeps the target's light and colour already; matching them again would
        // only move its skin toward the mask's average.
        if (s.color_match != ColourMatch::Off && !neural)
            colour.match(warped, target, masks.hard(), s.color_match == ColourMatch::LabShading ? iod / 3.0f : 0.0f,
                         s.color_match == ColourMatch::LabLight);
        // Detail is measured at a scale of a few pixels (the finest the warp can lose), at
        // least a pixel, growing slowly with the face so a 4K face is not judged by its noise.
        if (s.match_detail) detail.match(warped, target, masks.hard(), std::max(1.0f, iod / 60.0f));
        if (s.blend == BlendMode::Poisson) poisson_clone(warped, target, masks.hard());
        swap_ms += sw.ms();

        sw.reset();
        blend_region(frame.rgba.view(), roi, warped, weight, matte, pool);
        blend_ms += sw.ms();
        if (enhancer) enhance(frame, roi, local_landmarks, weight, matte, pool);
        return true;
    }

    // Restores the swapped face (now in the frame) and mixes the result in where the swap was.
    void enhance(Frame& frame, const cv::Rect& roi, const Landmarks& local, const cv::Mat& weight, const ImageF32* matte,
                 ThreadPool& pool) {
        Stopwatch sw;
        const cv::Mat full(frame.rgba.height(), frame.rgba.width(), CV_8UC4, frame.rgba.data());
        cv::cvtColor(full(roi), target, cv::COLOR_RGBA2RGB);
        enhancer->enhance(target, local, restored, restored_cover);
        restored_cover = restored_cover.mul(weight, s.enhance_blend);
        blend_region(frame.rgba.view(), roi, restored, restored_cover, matte, pool);
        enhance_ms += sw.ms();
    }
};

FaceSwapper::FaceSwapper(const FaceSettings& s, const std::vector<SourceImage>& sources, const ImageU8* reference)
    : impl_(std::make_unique<Impl>(s, sources, reference)) {}

FaceSwapper::~FaceSwapper() = default;

FrameFaces FaceSwapper::process(Frame& frame, const ImageF32* matte, ThreadPool& pool, StageTimes* times) {
    if (frame.rgba.channels() != 4) fail(ErrorKind::Processing, "face swap needs an RGBA frame");
    if (matte && (matte->width() != frame.rgba.width() || matte->height() != frame.rgba.height() || matte->channels() != 1))
        fail(ErrorKind::Processing, "matte size differs from the frame's");
    Impl& m = *impl_;
    auto view = static_cast<ImageView<const std::uint8_t>>(frame.rgba.view());
    m.analyser.track(view, frame.time, times);
    std::vector<Track>& tracks = m.analyser.tracks();
    FrameFaces out;
    out.found = static_cast<int>(tracks.size());
    double swap_ms = 0, blend_ms = 0;
    m.enhance_ms = 0;
    Stopwatch sw;
    const auto chosen = m.selector.select(tracks, [&](Track& t) -> const Embedding& { return m.analyser.embedding(view, t); });
    swap_ms += sw.ms();
    for (int i : chosen) out.swapped += m.swap_one(frame, tracks[i], matte, pool, swap_ms, blend_ms);
    if (times) {
        times->add("face.swap", swap_ms);
        times->add("face.blend", blend_ms);
        if (m.enhancer) times->add("face.enhance", m.enhance_ms);
    }
    return out;
}

void FaceSwapper::update(const FaceSettings& next) {
    face_params().validate(next);
    Impl& m = *impl_;
    FaceSettings s = next;
    face_params().keep_fixed(s, m.s);  // the caller reports refused keys; here they simply stay
    if (s.faces != m.s.faces || s.face_order != m.s.face_order || s.reference_distance != m.s.reference_distance)
        m.selector = FaceSelector(s.faces, s.face_order, m.reference_emb, s.reference_distance);
    m.analyser.retune(s.detect_every, s.smooth);
    m.s = s;
}

const FaceSettings& FaceSwapper::settings() const { return impl_->s; }

void FaceSwapper::reset() {
    impl_->analyser.reset();
    impl_->selector.reset();
}

const std::vector<Track>& FaceSwapper::tracks() const { return impl_->analyser.tracks(); }
const SourceLibrary& FaceSwapper::library() const { return impl_->library; }
std::vector<std::string> FaceSwapper::take_notes() { return std::exchange(impl_->notes, {}); }

}  // namespace keyswap::face
