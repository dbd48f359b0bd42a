#pragma once
// Wall-clock timing for per-stage statistics.
#include <algorithm>
#include <chrono>
#include <map>
#include <string>

namespace keyswap {

class Stopwatch {
public:
    Stopwatch() : start_(std::chrono::steady_clock::now()) {}
    double ms() const {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    }
    void reset() { start_ = std::chrono::steady_clock::now(); }

private:
    std::chrono::steady_clock::time_point start_;
};

// Accumulated milliseconds per named stage. Not thread safe: one per pass.
struct StageTimes {
    std::map<std::string, double> total_ms;
    std::map<std::string, long> count;
    void add(const std::string& stage, double ms) {
        total_ms[stage] += ms;
        ++count[stage];
    }
    double mean_ms(const std::string& stage) const {
        auto it = total_ms.find(stage);
        if (it == total_ms.end()) return 0.0;
        return it->second / std::max(1L, count.at(stage));
    }
};

}  // namespace keyswap
