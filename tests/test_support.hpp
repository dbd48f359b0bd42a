#pragma once
// Shared helpers for keyswap's tests: asset paths, scratch folders, running the CLI.
#include <filesystem>
#include <functional>
#include <string>

#include "keyswap/core/error.hpp"
#include "keyswap/core/image.hpp"

namespace keyswap::test {

// ../shared/assets/<rel>; tests that need an asset call GTEST_SKIP when it is absent.
std::filesystem::path asset(const std::string& rel);
bool has_asset(const std::string& rel);

// A fresh folder under the build tree, emptied at creation.
std::filesystem::path scratch(const std::string& name);

struct RunResult {
    int exit_code = -1;
    std::string out;  // stdout
    std::string err;  // stderr
};
// Runs the keyswap CLI with `args` (shell-quoted by the caller where needed).
RunResult run_cli(const std::string& args);

// Mean over all channels of |a-b|, and PSNR in dB (infinite for equal images).
double mean_abs_diff(const ImageU8& a, const ImageU8& b);
double psnr(const ImageU8& a, const ImageU8& b);

// The kind of keyswap::Error that `f` throws (its message into `message`), or Interrupted as
// "no error" (no test expects an interruption).
inline ErrorKind error_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const Error& e) {
        if (message) *message = e.what();
        return e.kind();
    }
    return ErrorKind::Interrupted;
}

}  // namespace keyswap::test
