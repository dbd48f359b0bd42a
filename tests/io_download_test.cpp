// Model downloads against a local HTTP server on 127.0.0.1 serving a file the test makes:
// a fresh download lands whole with its checksum, an interrupted one resumes with a Range
// request, a wrong checksum or an HTTP error leaves no file presented as complete.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <mutex>
#include <thread>

#include "keyswap/core/error.hpp"
#include "keyswap/io/download.hpp"
#include "test_support.hpp"

using namespace keyswap;
using test::error_of;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}

// Serves /model.onnx (with ranges), /cut.onnx (stops half way) and 404 for the rest.
class LocalServer {
public:
    explicit LocalServer(std::string body) : body_(std::move(body)) {
        server_.Get("/model.onnx", [this](const httplib::Request& req, httplib::Response& res) {
            {
                std::lock_guard lock(mutex_);
                ranges_.push_back(req.get_header_value("Range"));
            }
            res.set_content(body_, "application/octet-stream");
        });
        server_.Get("/cut.onnx", [this](const httplib::Request&, httplib::Response& res) {
            res.set_content_provider(body_.size(), "application/octet-stream",
                                     [this](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                         if (offset >= body_.size() / 2) return false;  // the connection drops
                                         sink.write(body_.data() + offset, body_.size() / 2 - offset);
                                         return true;
                                     });
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~LocalServer() {
        server_.stop();
        thread_.join();
    }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    std::vector<std::string> ranges() {
        std::lock_guard lock(mutex_);
        return ranges_;
    }

private:
    std::string body_;
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::string> ranges_;
};

std::string make_body() {
    std::string b(300000, '\0');
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>((i * 7919) >> 3);
    return b;
}


}  // namespace

TEST(Download, FetchesWholeWithItsChecksumAndKeepsAFileInPlace) {
    const std::string body = make_body();
    LocalServer server(body);
    const fs::path dir = test::scratch("download_fresh");
    std::ofstream(dir / "expected.bin", std::ios::binary) << body;
    const std::string sha = io::sha256_file(dir / "expected.bin");
    ASSERT_EQ(sha.size(), 64u);
    std::uint64_t last = 0;
    const auto r = io::download({server.url("/model.onnx"), dir / "m" / "model.onnx", sha,
                                 [&](std::uint64_t done, std::uint64_t) { last = done; }});
    EXPECT_EQ(slurp(dir / "m" / "model.onnx"), body);
    EXPECT_EQ(r.sha256, sha);
    EXPECT_EQ(r.bytes, body.size());
    EXPECT_EQ(last, body.size());
    EXPECT_FALSE(fs::exists(dir / "m" / "model.onnx.part"));
    const auto again = io::download({server.url("/model.onnx"), dir / "m" / "model.onnx", sha, nullptr});
    EXPECT_TRUE(again.already_there);
    EXPECT_EQ(server.ranges().size(), 1u);  // not fetched twice
}

TEST(Download, ResumesAnInterruptedDownload) {
    const std::string body = make_body();
    LocalServer server(body);
    const fs::path dir = test::scratch("download_resume");
    const fs::path dest = dir / "model.onnx";
    // The connection drops half way: an error saying so, the half kept as .part, no file.
    std::string message;
    EXPECT_EQ(error_of([&] { io::download({server.url("/cut.onnx"), dest, "", nullptr}); }, &message), ErrorKind::Input);
    EXPECT_NE(message.find("resume"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(dest));
    ASSERT_TRUE(fs::exists(dir / "model.onnx.part"));
    const auto kept = fs::file_size(dir / "model.onnx.part");
    EXPECT_GT(kept, 0u);
    EXPECT_LE(kept, body.size() / 2);
    // The next call asks only for the rest.
    std::ofstream(dir / "expected.bin", std::ios::binary) << body;
    const auto r = io::download({server.url("/model.onnx"), dest, io::sha256_file(dir / "expected.bin"), nullptr});
    EXPECT_EQ(r.resumed_from, kept);
    EXPECT_EQ(slurp(dest), body);
    ASSERT_EQ(server.ranges().size(), 1u);
    EXPECT_EQ(server.ranges()[0], "bytes=" + std::to_string(kept) + "-");
}

TEST(Download, WrongChecksumAndHttpErrorsLeaveNoFile) {
    const std::string body = make_body();
    LocalServer server(body);
    const fs::path dir = test::scratch("download_bad");
    std::string message;
    EXPECT_EQ(error_of([&] { io::download({server.url("/model.onnx"), dir / "a.onnx", std::string(64, '0'), nullptr}); },
                       &message),
              ErrorKind::Input);
    EXPECT_NE(message.find("SHA-256"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(dir / "a.onnx"));
    EXPECT_FALSE(fs::exists(dir / "a.onnx.part"));

    EXPECT_EQ(error_of([&] { io::download({server.url("/missing.onnx"), dir / "b.onnx", "", nullptr}); }, &message),
              ErrorKind::Input);
    EXPECT_NE(message.find("HTTP 404"), std::string::npos) << message;
    EXPECT_NE(message.find("/missing.onnx"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(dir / "b.onnx"));

    // Nothing listening: a clear error, not a hang.
    EXPECT_EQ(error_of([&] { io::download({"http://127.0.0.1:1/x.onnx", dir / "c.onnx", "", nullptr}); }, &message),
              ErrorKind::Input);
    EXPECT_EQ(error_of([&] { io::download({"ftp://example/x.onnx", dir / "d.onnx", "", nullptr}); }), ErrorKind::Usage);
}
