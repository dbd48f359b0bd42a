#include "keyswap/core/atomic_file.hpp"

#include <unistd.h>

#include <fstream>

#include "keyswap/core/error.hpp"

namespace keyswap {
namespace fs = std::filesystem;

void write_file_atomically(const fs::path& path, std::string_view text, const std::string& what) {
    // The process id keeps two writers of the same file (two nodes, two chunks) apart.
    fs::path tmp = path;
    tmp += ".partial-" + std::to_string(::getpid());
    std::error_code ec;
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) fail(ErrorKind::Output, "cannot write " + what + " (folder missing or read-only?)", path.string());
        f.write(text.data(), static_cast<std::streamsize>(text.size()));
        if (!f.flush()) {
            f.close();
            fs::remove(tmp, ec);
            fail(ErrorKind::Output, "cannot write " + what + " (disk full?)", path.string());
        }
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        std::error_code ignore;
        fs::remove(tmp, ignore);
        fail(ErrorKind::Output, "cannot write " + what + ": " + ec.message(), path.string());
    }
}

}  // namespace keyswap
