#include "keyswap/core/file_watcher.hpp"

#include <exception>
#include <fstream>
#include <iterator>

namespace keyswap {

namespace {
// The file's whole text; empty when it cannot be read (gone, or being replaced).
std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return in ? std::string(std::istreambuf_iterator<char>(in), {}) : std::string();
}
}  // namespace

FileWatcher::FileWatcher(std::filesystem::path file, Reload reload, Report report, std::chrono::milliseconds period)
    : file_(std::move(file)), reload_(std::move(reload)), report_(std::move(report)), period_(period), last_(stamp()), last_text_(read_text(file_)) {}

FileWatcher::~FileWatcher() { stop(); }

FileWatcher::Stamp FileWatcher::stamp() const {
    Stamp s;
    std::error_code ec;
    s.time = std::filesystem::last_write_time(file_, ec);
    if (ec) return {};
    s.size = std::filesystem::file_size(file_, ec);
    if (ec) return {};
    s.exists = true;
    return s;
}

bool FileWatcher::poll() {
    const Stamp now = stamp();
    if (now == last_) return false;
    last_ = now;
    if (!now.exists) return false;  // being replaced; read it when it is back
    // A writer that truncates and then writes changes the stamp twice, and a poll between the
    // two can already read the finished text: comparing text makes that one reload, not two.
    std::string text = read_text(file_);
    if (text.empty()) return false;  // unreadable, or truncated for a rewrite: the text follows
    if (text == last_text_) return false;
    last_text_ = std::move(text);
    try {
        reload_(file_);
        ++reloads_;
        return true;
    } catch (const std::exception& e) {
        ++failures_;
        if (report_) report_(std::string(e.what()) + "; keeping the previous settings");
    }
    return false;
}

void FileWatcher::start() {
    if (thread_.joinable()) return;
    {
        std::lock_guard lock(m_);
        stopping_ = false;
    }
    thread_ = std::thread([this] {
        std::unique_lock lock(m_);
        while (!cv_.wait_for(lock, period_, [this] { return stopping_; })) {
            lock.unlock();
            poll();
            lock.lock();
        }
    });
}

void FileWatcher::stop() {
    {
        std::lock_guard lock(m_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace keyswap
