#pragma once
// The face swap stage of the frame pass.
//
// What this represents: a configured face swap: the source library (one person, one or more
// photos), the face analyser (detect every N frames, track, 68 landmarks, smoothing), the
// selection policy, and per-frame work buffers. `process` swaps the selected faces of a frame
// in place (classic: the best-matching source photo is warped piecewise-affinely onto the target's
// landmarks, colour-matched (Lab statistics + a smooth light fit), its sharpness matched to the target's,, and blended with a feathered area
// mask multiplied by the optional matte; neural: a generator redraws the target's aligned face
// with the source's identity and the result goes through the same masks, occlusion and blend;
// an optional restorer sharpens the swapped face after). All per-face work runs on the
// face's region only.
// Thread safety: not thread safe (tracks, buffers); one per stream. Construct on any thread.
#include <memory>
#include <string>
#include <vector>

#include "keyswap/core/image.hpp"
#include "keyswap/core/params.hpp"
#include "keyswap/core/thread_pool.hpp"
#include "keyswap/core/timing.hpp"
#include "keyswap/face/detector.hpp"
#include "keyswap/face/face_analyser.hpp"
#include "keyswap/face/masks.hpp"
#include "keyswap/face/selection.hpp"
#include "keyswap/face/source_library.hpp"

namespace keyswap::face {

// How the warped source face's colour is matched to the target before blending.
// lab-light carries the target's light as a smooth fit (never its features); lab-shading its
// blurred shading (kept as an option: it carries some of the target's eyes and creases).
enum class ColourMatch { Off, Lab, LabLight, LabShading };
inline constexpr std::array<const char*, 4> kColourMatchNames{"off", "lab", "lab-light", "lab-shading"};
// How the matched face is blended in: a feathered mask, or Poisson (seamless, slower).
enum class BlendMode { Feather, Poisson };
inline constexpr std::array<const char*, 2> kBlendModeNames{"feather", "poisson"};

struct FaceSettings {
    std::vector<std::string> source;   // source photo paths (decoded by the caller)
    int source_face = -1;              // face index in multi-face source photos (left to right)
    FaceChoice faces = FaceChoice::One;
    std::string reference;             // photo of the person to replace (faces=reference)
    double reference_distance = 0.6;   // embedding distance that counts as the same person
    FaceOrder face_order = FaceOrder::LargeSmall;  // for faces=one
    MaskArea mask = MaskArea::Face;
    bool occlusion = false;            // keep what covers the face (glasses frames, hands, a microphone)
    bool keep_mouth = false;           // keep the target's inner mouth (teeth, tongue)
    bool keep_glasses = true;          // without occlusion: keep a glasses frame found across the nose
    std::string detector = "hog";  // parse_detector's syntax
    int detect_every = 5;              // frames between detections while tracking
    int detect_width = 800;            // width of the detection image (HOG finds faces down to ~80 px there)
    bool background_detect = false;    // live: full-frame searches on their own thread (a mode, not a table row)
    bool smooth = true;                // One Euro smoothing of landmarks
    double smooth_cutoff = 1.0;        // Hz at rest
    double smooth_beta = 1.0;          // cutoff gain per (eye distance / s)
    ColourMatch color_match = ColourMatch::LabLight;
    bool match_detail = true;          // bring the swapped face's sharpness to the target's
    BlendMode blend = BlendMode::Feather;
    double feather = 0.12;             // edge ramp width, in eye distances (chosen on the development set: docs/face-devset.md)
    bool reproject = true;             // warp through the 3D head (reprojection.hpp); false = the flat mesh warp
    double face_shape = 0.0;           // 0..1: how far the target's proportions move to the source's (opt-in; measured in docs/face-devset.md)
    // Neural models (docs/MODELS.md): "classic" or "inswapper:FILE"; the ArcFace embedder an
    // inswapper needs; "" or "gfpgan:FILE"; how much of the restored face is used; an
    // occlusion model (XSeg layout) that decides what covers the face (implies occlusion).
    std::string swapper = "classic";
    std::string embedder;
    std::string enhance;
    double enhance_blend = 0.8;
    std::string occlusion_model;
};

// Which swapper redraws the face: the classic mesh warp of the source photo, or a neural
// generator (the inswapper layout) given the source's identity.
enum class SwapperKind { Classic, InSwapper };
struct ModelSpec {
    SwapperKind kind = SwapperKind::Classic;
    std::string model;
};
// "classic" or "inswapper:FILE"; throws Error(Usage) naming the value otherwise.
ModelSpec parse_swapper(const std::string& text);
// "" (off), "gfpgan:FILE" or "codeformer:FILE"; model "" when off; throws Error(Usage) otherwise.
struct EnhancerSpec {
    bool codeformer = false;
    std::string model;
};
EnhancerSpec parse_enhancer(const std::string& text);

// One row per setting; keys are the CLI flag names.
const ParamTable<FaceSettings>& face_params();

// The analyser's part of the settings (detector, tracking, smoothing).
AnalyserSettings analyser_settings(const FaceSettings& s);

struct FrameFaces {
    int found = 0;    // faces tracked in this frame
    int swapped = 0;  // faces replaced
};

class FaceSwapper {
public:
    // Loads models and builds the source library from the decoded `sources`; `reference` is the
    // decoded reference photo for faces=reference. Throws keyswap::Error: Model (missing model),
    // NoFace (a source or the reference has no face), Usage (bad settings, several faces in a
    // source without source-face, faces=reference without a reference).
    FaceSwapper(const FaceSettings& s, const std::vector<SourceImage>& sources, const ImageU8* reference = nullptr);
    ~FaceSwapper();

    // Requires: frame.rgba is RGBA; matte, if given, is the frame's size with 1 channel in [0,1].
    // Ensures: only RGB of pixels inside selected faces' areas (times matte > 0) change; alpha
    // never. Records "face.detect", "face.landmarks", "face.swap", "face.blend" ms in `times`.
    // No face: the frame is unchanged and found = 0.
    FrameFaces process(Frame& frame, const ImageF32* matte, ThreadPool& pool, StageTimes* times = nullptr);

    // Live change between frames: takes the rows of face_params() marked runtime (selection,
    // mask, colour match, blend, feather, smoothing, detect-every); the others need a new
    // swapper. Validates first: on error nothing changes.
    void update(const FaceSettings& s);
    const FaceSettings& settings() const;

    void reset();  // new clip or cut: forget tracks and smoothing

    // The analysis of the last processed frame (tracks with smoothed landmarks), for overlays.
    const std::vector<Track>& tracks() const;
    const SourceLibrary& library() const;
    // Warnings found while swapping, each once (a source photo whose face is enlarged so much
    // the swap is soft, naming the photo); taking them empties the list.
    std::vector<std::string> take_notes();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace keyswap::face
