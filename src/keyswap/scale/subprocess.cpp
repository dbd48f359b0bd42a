#include "keyswap/scale/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "keyswap/core/error.hpp"

extern char** environ;

namespace keyswap::scale {
namespace {

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

std::vector<char*> c_args(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

// posix_spawn's file actions, released however spawning ends.
struct FileActions {
    posix_spawn_file_actions_t fa;
    FileActions() { posix_spawn_file_actions_init(&fa); }
    ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
};

}  // namespace

Child::Child(Child&& o) noexcept : pid_(o.pid_), status_(o.status_) { o.pid_ = -1; }
Child& Child::operator=(Child&& o) noexcept {
    if (this != &o) {
        stop();
        pid_ = o.pid_;
        status_ = o.status_;
        o.pid_ = -1;
    }
    return *this;
}
Child::~Child() { stop(); }

void Child::reap(int flags) {
    if (pid_ <= 0) return;
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, flags);
    if (r == pid_) {
        status_ = decode_status(st);
        pid_ = -1;
    } else if (r < 0 && errno != EINTR) {
        status_ = -1;
        pid_ = -1;
    }
}

std::optional<int> Child::poll() {
    reap(WNOHANG);
    return status_;
}

int Child::wait() {
    while (pid_ > 0) reap(0);
    return status_.value_or(-1);
}

void Child::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50 && !poll(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait();
    }
}

Child spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    FileActions fa;
    const std::string log_path = log.string();
    posix_spawn_file_actions_addopen(&fa.fa, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa.fa, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&fa.fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    auto args = c_args(argv);
    Child c;
    const int r = ::posix_spawnp(&c.pid_, args[0], &fa.fa, nullptr, args.data(), environ);
    if (r != 0) {
        c.pid_ = -1;
        fail(ErrorKind::Processing, std::string("cannot start: ") + std::strerror(r), argv[0]);
    }
    return c;
}

Captured run_captured(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail(ErrorKind::Processing, std::string("cannot make a pipe: ") + std::strerror(errno), argv[0]);
    FileActions fa;
    posix_spawn_file_actions_adddup2(&fa.fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa.fa, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&fa.fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    auto args = c_args(argv);
    pid_t pid = -1;
    const int r = ::posix_spawnp(&pid, args[0], &fa.fa, nullptr, args.data(), environ);
    ::close(fds[1]);
    Captured out;
    if (r != 0) {
        ::close(fds[0]);
        out.exit_code = 127;
        out.output = argv[0] + ": " + std::strerror(r);
        return out;
    }
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0) out.output.append(buf, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR) break;
    }
    ::close(fds[0]);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    out.exit_code = decode_status(st);
    return out;
}

std::filesystem::path self_executable() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) fail(ErrorKind::Processing, "cannot find this program's own file: " + ec.message(), "/proc/self/exe");
    return p;
}

}  // namespace keyswap::scale

#include <fstream>

namespace keyswap::scale {
std::string last_line_of(const std::filesystem::path& log) {
    std::ifstream f(log, std::ios::binary);
    std::string line, last;
    while (std::getline(f, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        // A progress display redraws with carriage returns: keep what follows the last one.
        const auto cr = line.rfind('\r');
        if (cr != std::string::npos) line = line.substr(cr + 1);
        if (!line.empty()) last = line;
    }
    return last;
}
}  // namespace keyswap::scale
