#pragma once
// Child processes for the schedulers: a chunk process with its output in a log file, and
// short commands (sbatch, squeue) whose output is read back. posix_spawn, no shell, so no
// argument is ever re-parsed.
// What this represents: `Child` owns one running process; destroying it while the process
// still runs stops it (SIGTERM, then SIGKILL) and reaps it, so no child outlives an error.
// Thread safety: one thread per Child. Errors: keyswap::Error(Processing) naming the program.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace keyswap::scale {

class Child {
public:
    Child() = default;
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    ~Child();

    bool running() const { return pid_ > 0; }
    // The exit status once it has ended (128 + signal for a signal), nullopt while it runs.
    std::optional<int> poll();
    int wait();
    void stop();  // SIGTERM, a moment's grace, then SIGKILL; reaps it

private:
    void reap(int waitpid_flags);  // records the exit status once the process has ended

    friend Child spawn(const std::vector<std::string>& argv, const std::filesystem::path& log);
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// Starts argv[0] (a path or a name looked up in PATH) with stdout and stderr into `log`
// (truncated). Throws Error(Processing) if it cannot start.
Child spawn(const std::vector<std::string>& argv, const std::filesystem::path& log);

struct Captured {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
};

// Runs argv to its end and returns what it printed. A program that is not installed gives
// exit code 127 and says so in `output`.
Captured run_captured(const std::vector<std::string>& argv);

// This program's own executable, for the chunk processes it starts.
std::filesystem::path self_executable();

}  // namespace keyswap::scale

namespace keyswap::scale {
// The last non-empty line of a log file ("" if none): where a failed process said why.
std::string last_line_of(const std::filesystem::path& log);
}  // namespace keyswap::scale
