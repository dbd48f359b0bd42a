#include "keyswap/scale/chunk_plan.hpp"

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "keyswap/core/atomic_file.hpp"
#include "keyswap/core/error.hpp"

namespace keyswap::scale {
namespace fs = std::filesystem;

namespace {

std::string numbered(const char* stem, std::size_t i, const char* ext) {
    char name[64];
    std::snprintf(name, sizeof name, "%s_%04zu%s", stem, i, ext);
    return name;
}

nlohmann::json read_json(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(ErrorKind::Input, "cannot read the chunk manifest (not a chunk folder?)", path.string());
    try {
        return nlohmann::json::parse(f);
    } catch (const nlohmann::json::exception& e) {
        fail(ErrorKind::Input, std::string("not a valid chunk manifest: ") + e.what(), path.string());
    }
}

}  // namespace

std::vector<ChunkRange> split_frames(std::int64_t first, std::int64_t last, int chunks, std::int64_t chunk_frames) {
    if (first < 0 || last < first)
        fail(ErrorKind::Usage, "nothing to split: the frame range " + std::to_string(first) + "-" + std::to_string(last) + " is empty");
    const std::int64_t total = last - first + 1;
    std::vector<ChunkRange> out;
    if (chunk_frames > 0) {
        for (std::int64_t a = first; a <= last; a += chunk_frames) out.push_back({a, std::min(last, a + chunk_frames - 1)});
        return out;
    }
    if (chunks < 1) fail(ErrorKind::Usage, "--chunks must be at least 1");
    const std::int64_t n = std::min<std::int64_t>(chunks, total);
    // The first `total % n` chunks take one frame more, so sizes differ by at most one.
    std::int64_t a = first;
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t len = total / n + (i < total % n ? 1 : 0);
        out.push_back({a, a + len - 1});
        a += len;
    }
    return out;
}

fs::path ChunkPlan::chunk_file(std::size_t i) const {
    std::string ext = final_codec ? output.extension().string() : ".mkv";
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return dir / numbered("chunk", i, ext.c_str());
}

io::EncodeOptions ChunkPlan::chunk_encode() const {
    if (final_codec) return encode;
    io::EncodeOptions o;
    o.codec = "ffv1";
    return o;
}
fs::path ChunkPlan::record_file(std::size_t i) const { return dir / numbered("chunk", i, ".json"); }
fs::path ChunkPlan::log_file(std::size_t i) const { return dir / "logs" / numbered("chunk", i, ".log"); }

std::string ChunkPlan::describe(std::size_t i) const {
    std::string s = "chunk ";
    s += std::to_string(i);
    s += " (frames ";
    s += std::to_string(chunks.at(i).first);
    s += '-';
    s += std::to_string(chunks.at(i).last);
    s += ')';
    return s;
}

std::optional<ChunkRecord> ChunkPlan::record(std::size_t i) const {
    std::error_code ec;
    if (!fs::is_regular_file(record_file(i), ec) || !fs::is_regular_file(chunk_file(i), ec)) return std::nullopt;
    try {
        std::ifstream f(record_file(i), std::ios::binary);
        const auto j = nlohmann::json::parse(f);
        ChunkRecord r;
        r.frames = j.at("frames").get<std::int64_t>();
        r.start = j.at("start").get<double>();
        r.end = j.at("end").get<double>();
        if (r.frames != chunks.at(i).frames()) return std::nullopt;
        return r;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

std::vector<std::size_t> ChunkPlan::missing() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < chunks.size(); ++i)
        if (!record(i)) out.push_back(i);
    return out;
}

nlohmann::json to_json(const ChunkPlan& p) {
    nlohmann::json j;
    j["input"] = p.input.string();
    j["output"] = p.output.string();
    j["first"] = p.first;
    j["last"] = p.last;
    j["warm_up"] = p.warm_up;
    j["audio"] = p.audio;
    j["encode"] = io::encode_params().values(p.encode);
    j["final_codec"] = p.final_codec;
    j["fingerprint"] = p.fingerprint;
    auto& c = j["chunks"] = nlohmann::json::array();
    for (const auto& r : p.chunks) c.push_back({r.first, r.last});
    return j;
}

ChunkPlan load_plan(const fs::path& dir_or_manifest) {
    std::error_code ec;
    const fs::path file = fs::is_directory(dir_or_manifest, ec) ? dir_or_manifest / "manifest.json" : dir_or_manifest;
    const auto j = read_json(file);
    ChunkPlan p;
    try {
        p.dir = fs::absolute(file).parent_path();
        p.input = j.at("input").get<std::string>();
        p.output = j.at("output").get<std::string>();
        p.first = j.at("first").get<std::int64_t>();
        p.last = j.at("last").get<std::int64_t>();
        p.warm_up = j.at("warm_up").get<std::int64_t>();
        p.audio = j.at("audio").get<bool>();
        io::encode_params().apply(p.encode, j.at("encode"));
        p.final_codec = j.value("final_codec", false);
        p.fingerprint = j.at("fingerprint").get<std::string>();
        for (const auto& c : j.at("chunks")) p.chunks.push_back({c.at(0).get<std::int64_t>(), c.at(1).get<std::int64_t>()});
    } catch (const nlohmann::json::exception& e) {
        fail(ErrorKind::Input, std::string("not a valid chunk manifest: ") + e.what(), file.string());
    } catch (const Error& e) {
        throw Error(ErrorKind::Input, "not a valid chunk manifest: " + e.detail(), file.string());
    }
    if (p.chunks.empty()) fail(ErrorKind::Input, "not a valid chunk manifest: no chunks", file.string());
    return p;
}

std::size_t save_plan(const ChunkPlan& plan) {
    std::error_code ec;
    fs::create_directories(plan.dir / "logs", ec);
    if (ec) fail(ErrorKind::Output, "cannot create the chunk folder: " + ec.message(), plan.dir.string());
    bool same_job = false;
    if (fs::exists(plan.manifest_file(), ec)) {
        try {
            same_job = load_plan(plan.dir).fingerprint == plan.fingerprint;
        } catch (const Error&) {
            same_job = false;
        }
    }
    if (!same_job) {
        // Only what a plan writes is removed: chunk files, records and the stitch's verdict.
        for (const auto& e : fs::directory_iterator(plan.dir, ec)) {
            const std::string name = e.path().filename().string();
            if (name.rfind("chunk_", 0) == 0 || name == "stitch.result") fs::remove(e.path(), ec);
        }
    }
    fs::remove(plan.stitch_result(), ec);
    write_file_atomically(plan.manifest_file(), to_json(plan).dump(2) + "\n", "the chunk manifest");
    return same_job ? plan.chunks.size() - plan.missing().size() : 0;
}

void save_record(const ChunkPlan& plan, std::size_t i, const ChunkRecord& r) {
    nlohmann::json j{{"frames", r.frames}, {"start", r.start}, {"end", r.end}};
    write_file_atomically(plan.record_file(i), j.dump() + "\n", "the chunk record");
}

std::string fingerprint_of(const std::string& text) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

}  // namespace keyswap::scale
