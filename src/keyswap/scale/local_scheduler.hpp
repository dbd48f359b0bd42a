#pragma once
// `--scheduler local`: the chunks as processes of this program on this machine, a few at
// a time, each with its share of the cores. Ctrl-C stops them all.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "keyswap/scale/chunk_plan.hpp"

namespace keyswap::scale {

struct ChunkFailure {
    std::size_t index = 0;
    std::string message;  // the last line of its log
};

// Runs chunks `todo` (`keyswap chunk DIR N --threads T`), at most `parallel` at once.
// `done` is called after each one ends with the count ended so far. Returns the failures.
std::vector<ChunkFailure> run_local(const ChunkPlan& plan, const std::vector<std::size_t>& todo, int parallel,
                                    int threads, const std::function<void(std::size_t)>& done = {});

}  // namespace keyswap::scale
