#include "keyswap/io/frames.hpp"

#include <cctype>

#include "keyswap/core/error.hpp"

namespace keyswap::io {

bool find_frame_pattern(const std::filesystem::path& path, FramePattern* out) {
    const std::string whole = path.string();
    const std::string name = path.filename().string();
    const std::size_t base = whole.size() - name.size();
    FramePattern found;
    int conversions = 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] != '%') continue;
        std::size_t j = i + 1;
        FramePattern p;
        if (j < name.size() && name[j] == '0') p.zero = true, ++j;
        std::size_t digits = 0;
        while (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j])) && digits < 4)
            p.width = p.width * 10 + (name[j++] - '0'), ++digits;
        if (j >= name.size() || name[j] != 'd') continue;  // not a conversion: a literal '%'
        if (p.width > 12) fail(ErrorKind::Usage, "frame pattern width over 12 digits", whole);
        p.at = base + i;
        p.size = j + 1 - i;
        found = p;
        ++conversions;
        i = j;
    }
    if (conversions > 1) fail(ErrorKind::Usage, "frame pattern with more than one %d (use one, like frame_%04d.png)", whole);
    if (conversions == 1 && out) *out = found;
    return conversions == 1;
}

std::string expand_frame_pattern(const std::filesystem::path& pattern, std::int64_t index) {
    FramePattern p;
    const std::string whole = pattern.string();
    if (!find_frame_pattern(pattern, &p)) fail(ErrorKind::Usage, "not a frame pattern (use one %d or %04d)", whole);
    std::string num = std::to_string(index < 0 ? -index : index);
    const int width = p.width - (index < 0 ? 1 : 0);
    if (static_cast<int>(num.size()) < width) num.insert(0, width - num.size(), p.zero ? '0' : ' ');
    if (index < 0) num.insert(0, 1, '-');
    return whole.substr(0, p.at) + num + whole.substr(p.at + p.size);
}

bool matches_frame_pattern(const std::filesystem::path& pattern, const std::string& file_name) {
    FramePattern p;
    if (!find_frame_pattern(pattern, &p)) return false;
    const std::string name = pattern.filename().string();
    const std::size_t at = p.at - (pattern.string().size() - name.size());
    const std::string prefix = name.substr(0, at), suffix = name.substr(at + p.size);
    if (file_name.size() <= prefix.size() + suffix.size() || file_name.compare(0, prefix.size(), prefix) != 0 ||
        file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) != 0)
        return false;
    const std::string digits = file_name.substr(prefix.size(), file_name.size() - prefix.size() - suffix.size());
    const auto first_digit = digits.find_first_not_of(p.zero ? "" : " ");
    return first_digit != std::string::npos && digits.find_first_not_of("0123456789", first_digit) == std::string::npos;
}

FrameRange parse_frame_range(const std::string& text, const std::string& flag) {
    FrameRange r;
    if (text.empty()) return r;
    auto number = [&](const std::string& s) -> std::int64_t {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
            fail(ErrorKind::Usage, "invalid " + flag + " '" + text + "': expected A-B, A- or N (0-based frame numbers)");
        // 18 digits fit an int64; more is no frame number any file has.
        if (s.size() > 18) fail(ErrorKind::Usage, "invalid " + flag + " '" + text + "': frame number too large");
        return std::stoll(s);
    };
    const auto dash = text.find('-');
    if (dash == std::string::npos) {
        r.first = r.last = number(text);
        return r;
    }
    r.first = number(text.substr(0, dash));
    const std::string rest = text.substr(dash + 1);
    r.last = rest.empty() ? -1 : number(rest);
    if (r.last >= 0 && r.last < r.first)
        fail(ErrorKind::Usage, "invalid " + flag + " '" + text + "': the end comes before the start");
    return r;
}

}  // namespace keyswap::io
