#include "keyswap/core/file_watcher.hpp"

#include <exception>

namespace keyswap {

FileWatcher::FileWatcher(std::filesystem::path file, Reload reload, Report report, std::chrono::milliseconds period)
    : file_(std::move(file)), reload_(std::move(reload)), report_(std::move(report)), period_(period), last_(stamp()) {}

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
