#pragma once
// Watches one file and calls `reload` when its text changes (noticed by modification time or
// size, confirmed by comparing the text, so a touch or a two-step rewrite is not a reload), from a
// background thread polling a few times a second, or from the caller through `poll()`.
//
// What this represents: the control side of `--watch`. `reload` reads the file, validates
// it and publishes a new snapshot (core/snapshot.hpp); if it throws, the previous snapshot
// stays in use and `report` gets one line that names the file and what is wrong with it.
// A file that disappears or is being rewritten is simply read again when it changes next.
//
// Thread safety: start/stop/poll from one controlling thread; `reload` and `report` run on
// the watcher's thread after start() (or the caller's, for poll()), never concurrently.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace keyswap {

class FileWatcher {
public:
    using Reload = std::function<void(const std::filesystem::path&)>;
    using Report = std::function<void(const std::string&)>;

    // Records the file's current state: the first poll() reloads only after a change.
    FileWatcher(std::filesystem::path file, Reload reload, Report report,
                std::chrono::milliseconds period = std::chrono::milliseconds(250));
    ~FileWatcher();  // stops the thread
    FileWatcher(const FileWatcher&) = delete;
    FileWatcher& operator=(const FileWatcher&) = delete;

    // Checks once. Returns true when the file changed and reloaded without error.
    bool poll();
    void start();
    void stop();

    int reloads() const { return reloads_.load(); }  // successful reloads so far
    int failures() const { return failures_.load(); }

private:
    struct Stamp {
        std::filesystem::file_time_type time{};
        std::uintmax_t size = 0;
        bool exists = false;
        bool operator==(const Stamp&) const = default;
    };
    Stamp stamp() const;

    std::filesystem::path file_;
    Reload reload_;
    Report report_;
    std::chrono::milliseconds period_;
    Stamp last_;
    std::string last_text_;  // what the last reload (or the start) read
    std::atomic<int> reloads_{0}, failures_{0};
    std::mutex m_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace keyswap
