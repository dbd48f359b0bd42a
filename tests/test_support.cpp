#include "test_support.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sys/wait.h>

namespace keyswap::test {

std::filesystem::path asset(const std::string& rel) { return std::filesystem::path(KEYSWAP_ASSETS) / rel; }
bool has_asset(const std::string& rel) { return std::filesystem::exists(asset(rel)); }

std::filesystem::path scratch(const std::string& name) {
    auto p = std::filesystem::temp_directory_path() / "keyswap-tests" / name;
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p;
}

static std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}

RunResult run_cli(const std::string& args) {
    static int counter = 0;
    auto dir = std::filesystem::temp_directory_path() / "keyswap-tests" / "cli-logs";
    std::filesystem::create_directories(dir);
    const auto tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const auto out = dir / (tag + ".out"), err = dir / (tag + ".err");
    const std::string cmd = std::string(KEYSWAP_CLI) + " " + args + " >" + out.string() + " 2>" + err.string() + " </dev/null";
    const int status = std::system(cmd.c_str());
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    r.out = slurp(out);
    r.err = slurp(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return r;
}

double mean_abs_diff(const ImageU8& a, const ImageU8& b) {
    if (!a.same_shape(b) || a.empty()) return std::numeric_limits<double>::infinity();
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += std::abs(int(a.data()[i]) - int(b.data()[i]));
    return s / double(a.size());
}

double psnr(const ImageU8& a, const ImageU8& b) {
    if (!a.same_shape(b) || a.empty()) return 0.0;
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = double(a.data()[i]) - double(b.data()[i]);
        s += d * d;
    }
    const double mse = s / double(a.size());
    return mse == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(255.0 * 255.0 / mse);
}

}  // namespace keyswap::test
