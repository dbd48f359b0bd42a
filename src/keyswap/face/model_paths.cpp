#include "keyswap/face/model_paths.hpp"

#include <cstdlib>
#include <filesystem>

#include "keyswap/core/error.hpp"

namespace keyswap::face {

namespace fs = std::filesystem;

std::string model_dir() {
    if (const char* env = std::getenv("KEYSWAP_MODELS"); env && *env) return env;
    return std::string(KEYSWAP_DEFAULT_CACHE) + "/models";
}

std::string model_path(const std::string& file) {
    const fs::path p = fs::path(model_dir()) / file;
    if (!fs::exists(p)) fail(ErrorKind::Model, file + " missing; run scripts/setup (or set KEYSWAP_MODELS)", p.string());
    return p.string();
}

std::string landmark_model_path() {
    static const char* kFile = "shape_predictor_68_face_landmarks.dat";
    // A copy in the model folder wins so users can pin a model; Debian's libdlib-data is the default.
    const fs::path local = fs::path(model_dir()) / kFile;
    if (fs::exists(local)) return local.string();
    const fs::path system = fs::path("/usr/share/dlib") / kFile;
    if (!fs::exists(system))
        fail(ErrorKind::Model, std::string(kFile) + " missing; run scripts/setup (it installs libdlib-data)",
             system.string());
    return system.string();
}

}  // namespace keyswap::face
