#include "keyswap/core/schema.hpp"

#include <fstream>
#include <sstream>

namespace keyswap {

nlohmann::json read_json_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(ErrorKind::Input, "cannot read the settings file", file.string());
    std::ostringstream text;
    text << in.rdbuf();
    // A settings file is a few kilobytes; anything huge is the wrong file.
    if (text.str().size() > (1u << 20)) fail(ErrorKind::Usage, "is over 1 MiB: not a settings file", file.string());
    try {
        return nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
        // e.what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        std::string why = e.what();
        if (const auto p = why.find("] "); p != std::string::npos) why = why.substr(p + 2);
        fail(ErrorKind::Usage, "not valid JSON: " + why, file.string());
    }
}

}  // namespace keyswap
