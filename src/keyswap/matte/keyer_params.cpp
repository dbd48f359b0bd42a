// The keyer's parameter table: one row per setting (CLI flag, preset key, panel control).
#include "keyswap/matte/keyer.hpp"

namespace keyswap::matte {

const ParamTable<KeyerSettings>& keyer_params() {
    using S = KeyerSettings;
    using T = ParamType;
    static const ParamTable<S> table("key", {
        {"key", "Key", "Screen to remove: auto (find it in the frame), green, blue, #RRGGBB, plate:FILE (an image of the empty backdrop), or ai:FILE (a portrait matting model, no screen needed).",
         &S::key, T::String},
        {"balance", "Screen balance", "Weight of the first other channel (red for green and blue screens) when measuring screen colour; 0.5 = equal mix.",
         &S::balance, T::Float, 0, 1},
        {"clip-black", "Clip black", "Raw alpha at or below this becomes fully transparent (cleans backdrop noise and shadows).",
         &S::clip_black, T::Float, 0, 0.99},
        {"clip-white", "Clip white", "Raw alpha at or above this becomes fully opaque (fills spill holes in the subject).",
         &S::clip_white, T::Float, 0.01, 1},
        {"local-black", "Local clip black", "With refinement, apply clip black only next to clear backdrop, so faint uniform regions (a veil, a glass pane) keep their alpha; off = everywhere.",
         &S::local_black, T::Bool},
        {"foreground-prior", "Foreground prior", "Correct soft pixels (motion blur, edges, hair) by the colour of the solid subject next to them: their alpha (a colour with less screen colour than neutral, such as skin, orange or blue, otherwise keys too opaque) and their colour (the fainter the pixel, the more of it comes from the subject beside it); off = the colour-difference alpha and the unmixed colour alone.",
         &S::foreground_prior, T::Bool},
        {"restore-chroma", "Restore chroma", "On 4:2:0 and 4:2:2 sources (most video and JPEG), rebuild the colour detail that chroma subsampling removed from the full-resolution brightness before keying, so hair strands and thin soft edges keep their colour; off = key the decoder's chroma as it is. Full-chroma sources are never touched.",
         &S::restore_chroma, T::Bool},
        {"plate-tolerance", "Plate tolerance", "Plate keying: colour distance from the empty backdrop (fraction of full scale) that counts as fully foreground.",
         &S::plate_tolerance, T::Float, 0.01, 1},
        {"shrink-grow", "Shrink/grow", "Erode (negative) or dilate (positive) the matte by this many pixels.",
         &S::shrink_grow, T::Int, -50, 50, "px"},
        {"softness", "Edge softness", "Blur the matte edge by this radius.", &S::softness, T::Float, 0, 50, "px"},
        {"refine", "Refine edges", "Rebuild the matte's edges from the full-resolution image (recovers hair and undoes 4:2:0 chroma blocks).",
         &S::refine, T::Bool},
        {"refine-radius", "Refine radius", "Window radius of the edge refinement.", &S::refine_radius, T::Int, 1, 64, "px"},
        {"refine-eps", "Refine smoothing", "Regularisation of the edge refinement: smaller values keep fine hair (default), larger ones (0.001) smooth solid and semi-transparent surfaces more.",
         &S::refine_eps, T::Float, 1e-6, 0.1},
        {"despill", "Despill", "Strength of screen-spill removal from the foreground (0 = off).", &S::despill, T::Float, 0, 1},
        {"despill-balance", "Despill balance", "Weight of the first other channel in the spill limit; 0.5 = average of the two.",
         &S::despill_balance, T::Float, 0, 1},
        {"luma-restore", "Luminance restore", "Give back this fraction of the brightness despill removed.", &S::luma_restore, T::Float, 0, 1},
        {"temporal", "Temporal smoothing", "Video: blend weight of the previous frame's matte where the matte barely changed (0 = off).",
         &S::temporal, T::Float, 0, 0.95},
        {"temporal-threshold", "Motion threshold", "Alpha change above which a pixel counts as moving and is not smoothed.",
         &S::temporal_threshold, T::Float, 0.005, 1},
        {"garbage", "Garbage matte", "Rectangle x,y,w,h (pixels) that is always background; repeat for more.", &S::garbage, T::StringList},
        {"core", "Core matte", "Rectangle x,y,w,h (pixels) that is always foreground; repeat for more.", &S::core, T::StringList},
    });
    return table;
}

}  // namespace keyswap::matte
