#pragma once
// The one error type that crosses keyswap's boundaries.
// Each error carries a kind (which decides the CLI's exit code: 2 for usage, 1 otherwise),
// the file it concerns (may be empty) and a one-line message that says what to do.
#include <stdexcept>
#include <string>

namespace keyswap {

enum class ErrorKind {
    Usage,       // bad flags or values: the user can fix the command line
    Input,       // missing, unreadable, corrupt or unsupported input
    Output,      // cannot write the output
    Model,       // missing or wrong model file
    NoFace,      // a face was required and none was found
    Processing,  // anything else that failed while running
    Interrupted  // the user stopped the run
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string message, std::string path = {})
        : std::runtime_error(compose(message, path)), kind_(kind), path_(std::move(path)),
          detail_(std::move(message)) {}

    ErrorKind kind() const { return kind_; }
    const std::string& path() const { return path_; }
    const std::string& detail() const { return detail_; }
    int exit_code() const { return kind_ == ErrorKind::Usage ? 2 : (kind_ == ErrorKind::Interrupted ? 130 : 1); }

private:
    static std::string compose(const std::string& message, const std::string& path) {
        return path.empty() ? message : path + ": " + message;
    }
    ErrorKind kind_;
    std::string path_;
    std::string detail_;
};

[[noreturn]] inline void fail(ErrorKind kind, std::string message, std::string path = {}) {
    throw Error(kind, std::move(message), std::move(path));
}

}  // namespace keyswap
