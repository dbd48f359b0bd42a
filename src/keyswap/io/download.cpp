#include "keyswap/io/download.hpp"

#include <httplib.h>
#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "keyswap/core/error.hpp"

namespace keyswap::io {
namespace {

namespace fs = std::filesystem;

// "scheme://host[:port]" and "/path?query" of a URL.
std::pair<std::string, std::string> split_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos || (url.compare(0, scheme_end, "http") != 0 && url.compare(0, scheme_end, "https") != 0))
        fail(ErrorKind::Usage, "a download URL must start with http:// or https://, not '" + url + "'");
    const auto path = url.find('/', scheme_end + 3);
    if (path == std::string::npos) return {url, "/"};
    return {url.substr(0, path), url.substr(path)};
}

std::uint64_t size_of(const fs::path& p) {
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? 0 : n;
}

}  // namespace

std::string sha256_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(ErrorKind::Input, "cannot read the file to check its SHA-256", file.string());
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), digest, &len);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

DownloadResult download(const DownloadRequest& r) {
    const auto [host, path] = split_url(r.url);
    DownloadResult result;
    std::error_code ec;
    if (fs::exists(r.file, ec)) {
        result.sha256 = sha256_file(r.file);
        if (!r.sha256.empty() && result.sha256 != r.sha256)
            fail(ErrorKind::Output, "a different file is already there (SHA-256 " + result.sha256 + ", expected " + r.sha256 +
                                        "); move it away to download", r.file.string());
        result.bytes = size_of(r.file);
        result.already_there = true;
        return result;
    }
    if (!r.file.parent_path().empty()) fs::create_directories(r.file.parent_path(), ec);
    const fs::path part = r.file.string() + ".part";
    std::uint64_t offset = size_of(part);

    httplib::Client client(host);
    client.set_follow_location(true);
    client.set_connection_timeout(15);
    client.set_read_timeout(60);
    httplib::Headers headers;
    if (offset > 0) headers.insert(httplib::make_range_header({{static_cast<ssize_t>(offset), -1}}));

    std::ofstream out;
    int status = 0;
    std::uint64_t total = 0, written = 0;
    bool write_failed = false;
    auto res = client.Get(
        path, headers,
        [&](const httplib::Response& response) {
            status = response.status;
            if (status == 416 && offset > 0) return false;  // the .part already holds everything
            if (status != 200 && status != 206) return false;
            if (status == 200) offset = 0;  // the server sent the whole file: start over
            result.resumed_from = offset;
            const auto length = response.get_header_value("Content-Length");
            total = offset + (length.empty() ? 0 : std::stoull(length));
            out.open(part, std::ios::binary | (offset > 0 ? std::ios::app : std::ios::trunc));
            return static_cast<bool>(out);
        },
        [&](const char* data, std::size_t n) {
            out.write(data, static_cast<std::streamsize>(n));
            if (!out) return !(write_failed = true);
            written += n;
            if (r.progress) r.progress(offset + written, total);
            return true;
        });
    out.close();
    if (write_failed || (out.fail() && written > 0))
        fail(ErrorKind::Output, "cannot write the download (disk full?); the partial file is kept to resume", part.string());
    if (status == 416 && offset > 0) {
        // nothing new: check what the .part holds
    } else if (!res && status == 0) {
        fail(ErrorKind::Input, "download failed (" + httplib::to_string(res.error()) + " error; is the network up?)" +
                                   (offset + written > 0 ? "; run again to resume" : ""), r.url);
    } else if (status != 200 && status != 206) {
        fail(ErrorKind::Input, "download failed: HTTP " + std::to_string(status), r.url);
    } else if (!res || (total > 0 && offset + written < total)) {
        fail(ErrorKind::Input, "download cut short at " + std::to_string(offset + written) + " of " + std::to_string(total) +
                                   " bytes; run again to resume", r.url);
    }
    result.sha256 = sha256_file(part);
    if (!r.sha256.empty() && result.sha256 != r.sha256) {
        fs::remove(part, ec);
        fail(ErrorKind::Input, "the downloaded file's SHA-256 is " + result.sha256 + ", expected " + r.sha256 +
                                   "; it was deleted", r.url);
    }
    fs::rename(part, r.file, ec);
    if (ec) fail(ErrorKind::Output, "cannot move the finished download into place: " + ec.message(), r.file.string());
    result.bytes = size_of(r.file);
    return result;
}

}  // namespace keyswap::io
