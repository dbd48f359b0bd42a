#pragma once
// Writes a small text file (a manifest, a record, a settings file) through a temporary name
// and a rename, so a reader on any node never sees half of it and a full disk never leaves a
// truncated file under the real name.
// Errors: keyswap::Error(Output) naming the file and `what` ("the settings file").
#include <filesystem>
#include <string>
#include <string_view>

namespace keyswap {

void write_file_atomically(const std::filesystem::path& path, std::string_view text,
                           const std::string& what = "the file");

}  // namespace keyswap
