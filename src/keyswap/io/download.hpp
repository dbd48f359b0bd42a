#pragma once
// Fetching a model file over HTTP(S) for users who ask for it (`keyswap models download`):
// keyswap itself never downloads anything at build or run time.
//
// What this represents: one download into a folder, safe to interrupt and repeat. Bytes go to
// FILE.part; a repeated call resumes it with a Range request (starting over when the server
// ignores the range); the SHA-256 of the whole file is checked when one is given, and only a
// complete file (with a matching checksum) is renamed to FILE. A mismatch deletes the .part
// (it is not the file asked for) and is an Error(Input); network and HTTP failures are
// Error(Input) naming the URL, with the .part kept for the next try. A file already in place
// is checked, not fetched again.
// Thread safety: one call per destination at a time.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace keyswap::io {

struct DownloadRequest {
    std::string url;                // http:// or https://, redirects followed
    std::filesystem::path file;     // where the finished file goes
    std::string sha256;             // lower-case hex; "" = nothing to check against
    // Called as bytes arrive: (bytes so far, total or 0 when unknown).
    std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct DownloadResult {
    std::string sha256;      // of the file in place
    std::uint64_t bytes = 0;
    std::uint64_t resumed_from = 0;  // bytes kept from an earlier .part (0 = fresh)
    bool already_there = false;      // the file was in place (and matched) before the call
};

DownloadResult download(const DownloadRequest& r);

// SHA-256 of a file's bytes, lower-case hex. Throws Error(Input) when it cannot be read.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace keyswap::io
