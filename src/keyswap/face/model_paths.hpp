#pragma once
// Where keyswap's face models live.
//
// What this represents: the lookup rule for the dlib model files that scripts/setup installs.
// The 68-point predictor comes from Debian's libdlib-data (/usr/share/dlib); the recognition
// net, the MMOD CNN detector and the 5-point predictor from Debian's dlib source package, kept
// in the model cache: $KEYSWAP_MODELS if set, else KEYSWAP_DEFAULT_CACHE/models.
// Thread safety: pure functions.
#include <string>

namespace keyswap::face {

// The folder searched for cache models ($KEYSWAP_MODELS or the build's default cache).
std::string model_dir();

// Full path of `file` (e.g. "dlib_face_recognition_resnet_model_v1.dat").
// Requires: nothing. Ensures: the returned file exists.
// Throws Error(Model) naming the file and telling the user to run scripts/setup.
std::string model_path(const std::string& file);

// The 68-point landmark predictor: the model folder first, then /usr/share/dlib.
std::string landmark_model_path();

}  // namespace keyswap::face
